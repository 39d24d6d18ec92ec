using System.Globalization;
using System.Security.Cryptography;

namespace SemCache.CrashHost;

/// <summary>
/// The engine-level crash test: the whole store path (validation, exact key, vector index,
/// FASTER write-ahead log) under kill -9. Content derives from a sequence number only, so the test
/// can check every acknowledged entry by exact and by semantic lookup. Linked into the test project.
/// </summary>
internal static class EngineCrash
{
    public const int Dimensions = 32;
    public const string Tenant = "crash-tenant";
    public static readonly CacheScope Scope = new() { Model = "crash-model", SystemPrompt = "crash test" };

    public static SemanticCacheOptions Options(string directory) => new()
    {
        DataDirectory = directory,
        Durability = CacheDurability.Durable,
        Dimensions = Dimensions,
        RequestsBringVectors = true,
        SimilarityThreshold = 0.95f,

        // Small, so the partition becomes an HNSW graph and index snapshots are written while
        // the host is being killed.
        FlatSearchLimit = 64,
        CheckpointInterval = TimeSpan.FromMilliseconds(300),
    };

    public static string Prompt(long seq) => string.Create(CultureInfo.InvariantCulture, $"crash question {seq}: what is {seq} squared?");

    public static string Response(long seq) => string.Create(CultureInfo.InvariantCulture, $"{seq} squared is {seq * seq}. ") + new string('✓', (int)(seq % 97));

    public static float[] Vector(long seq)
    {
        var random = new Random(BitConverter.ToInt32(SHA256.HashData(BitConverter.GetBytes(seq))));
        var v = new float[Dimensions];
        for (var i = 0; i < v.Length; i++) { v[i] = (float)(random.NextDouble() - 0.5); }
        return v;
    }

    /// <summary>Prints "S seq entryId" after each acknowledged store, until killed.</summary>
    public static async Task<int> RunAsync(string directory, long firstSeq, int writers)
    {
        await using var cache = SemanticCacheEngine.Open(Options(directory));
        var output = Console.Out;
        var gate = new Lock();
        var next = firstSeq - 1;
        lock (gate)
        {
            output.WriteLine("R 0");
            output.Flush();
        }

        var tasks = Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var seq = Interlocked.Increment(ref next);
                var stored = await cache.StoreAsync(new CacheStoreRequest
                {
                    Tenant = Tenant,
                    Scope = Scope,
                    Prompt = Prompt(seq),
                    Response = Response(seq),
                    Vector = Vector(seq),
                    Tags = [string.Create(CultureInfo.InvariantCulture, $"seq:{seq}")],
                });
                lock (gate)
                {
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"S {seq} {stored.EntryId}"));
                    output.Flush();
                }
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        return 0;
    }

    /// <summary>Tag carried by every entry of the invalidation crash test.</summary>
    public const string BulkTag = "bulk";

    /// <summary>
    /// Stores <paramref name="count"/> entries tagged <see cref="BulkTag"/> (sequence numbers 1..count),
    /// prints "S count" once all are acknowledged, then "B" and invalidates the tag in one call,
    /// printing "I removed" only after the call returned (acknowledged); then waits to be killed.
    /// <paramref name="delayMs"/> between "B" and the call moves where a kill issued on reading "B" lands.
    /// </summary>
    public static async Task<int> RunInvalidateAsync(string directory, int count, int delayMs, int writers)
    {
        await using var cache = SemanticCacheEngine.Open(Options(directory));
        var output = Console.Out;
        var next = 0L;
        var tasks = Enumerable.Range(0, writers).Select(_ => Task.Run(async () =>
        {
            long seq;
            while ((seq = Interlocked.Increment(ref next)) <= count)
            {
                await cache.StoreAsync(new CacheStoreRequest
                {
                    Tenant = Tenant,
                    Scope = Scope,
                    Prompt = Prompt(seq),
                    Response = Response(seq),
                    Vector = Vector(seq),
                    Tags = [BulkTag],
                });
            }
        })).ToArray();
        await Task.WhenAll(tasks);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"S {count}"));
        output.WriteLine("B");
        output.Flush();
        await Task.Delay(delayMs);
        var removed = await cache.InvalidateAsync(CacheInvalidation.ForTag(Tenant, BulkTag));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"I {removed}"));
        output.Flush();
        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}
