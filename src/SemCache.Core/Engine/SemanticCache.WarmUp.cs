using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SemCache.Storage;
using SemCache.Vectors;
using SemCache.Verification;

namespace SemCache.Engine;

internal sealed partial class SemanticCache
{
    /// <summary>
    /// Pays at open what the process's first store would otherwise pay inside its latency: the verifier's
    /// lexicons (built on first use, most of it), the first compilation of validation, key hashing, pricing
    /// and the record codec, a store session and its read path, and a partition index with its vector
    /// kernels. Everything runs on throw-away values: nothing is stored, no tenant or partition is created,
    /// and the store is only read (a key that does not exist), so no durable state changes.
    /// </summary>
    private void WarmUp()
    {
        var started = Stopwatch.GetTimestamp();
        const string tenant = "semcache-warm-up";
        const string prompt = "How do I rotate the API key of \"Project Alpha\" in v2.3.1 before 2024-06-30, not after 10 days?";
        var scope = new CacheScope { Model = "semcache-warm-up" };

        RequestValidator.Tenant(tenant);
        _validator.Scope(scope);
        _validator.Context(null);
        _validator.Prompt(prompt, required: true);
        _validator.Response(prompt);
        _validator.Tags(["warm-up"]);
        _validator.TimeToLive(null);
        var usage = new CacheUsage(10, 10, 0);
        RequestValidator.Usage(usage);
        Accounting.CostLedger.ValidateFeature(null);
        var given = new float[_options.Dimensions];
        given[0] = 1;
        var vector = new float[_options.Dimensions];
        _validator.Vector(given, vector);
        _ = Priced(scope, usage);

        var keys = ComputeKeys(tenant, scope, null, prompt, createTenant: false);
        var partitionKey = keys.PartitionKey;
        if (_verifier.Options.Enabled)
        {
            var analysis = PromptAnalysis.Analyze(prompt);
            _ = _verifier.Verify(analysis, PromptAnalysis.Analyze(prompt + " today"), 0.95f);
        }

        var exactKey = keys.ExactKey!.Value.ToArray();
        _ = _store.TryGetExact(exactKey, out _);
        var record = new CacheEntryRecord
        {
            Id = 1,
            Tenant = tenant,
            ScopeFingerprint = keys.ScopeFingerprint,
            ContextFingerprint = keys.ContextFingerprint,
            PartitionKey = partitionKey,
            ExactKey = exactKey,
            Prompt = prompt,
            Response = prompt,
            Tags = ["warm-up"],
            CreatedUtcTicks = NowTicks,
            ExpiresUtcTicks = 0,
            Vector = vector,
        };
        var encoded = new byte[EntryRecordCodec.GetEncodedLength(record)];
        EntryRecordCodec.Encode(record, encoded);
        _ = EntryRecordCodec.TryParse(encoded, out _);

        // A partition of its own, never registered: allocating its arena and adding and searching one
        // vector compiles the index's write and search paths and binds the kernels.
        using (var index = new PartitionIndex(_indexOptions))
        {
            index.Add(1, vector);
            Span<VectorHit> hits = stackalloc VectorHit[1];
            _ = index.Search(vector, hits);
            _ = index.Remove(1);
        }

        // The bookkeeping a store touches, on throw-away instances of the same types (the compiled code
        // is shared per type, the engine's own maps stay untouched).
        using (var registry = new Partitions.PartitionRegistry(_indexOptions))
        {
            var partition = registry.Enter(partitionKey, tenant, keys.ScopeFingerprint);
            registry.Exit(partition);
        }

        var entries = new System.Collections.Concurrent.ConcurrentDictionary<long, EntryMeta>();
        _ = entries.TryAdd(1, null!);
        _ = entries.TryRemove(1, out _);
        var expiries = new Expiry.ExpiryQueue();
        expiries.Add(1, NowTicks);

        Log.WarmedUp(_logger, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

/// <summary>Log messages of the open-time warm-up.</summary>
internal static partial class Log
{
    [LoggerMessage(11, LogLevel.Debug, "Warm-up at open took {Milliseconds} ms (paid here instead of by the first store)")]
    public static partial void WarmedUp(ILogger logger, long milliseconds);
}
