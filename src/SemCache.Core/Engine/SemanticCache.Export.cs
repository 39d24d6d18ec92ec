using SemCache.Storage;
using SemCache.Verification;

namespace SemCache.Engine;

/// <summary>
/// Moves one tenant's live entries from one engine to another (a cluster filling a new copy of a
/// partition group). Internal: the cluster reaches it through <c>InternalsVisibleTo</c>; it is not
/// part of the public cache API.
/// </summary>
internal interface IEntryTransfer
{
    /// <summary>
    /// Up to <paramref name="pageSize"/> live entries of <paramref name="tenant"/> whose id is above
    /// <paramref name="afterId"/>, in id order, each encoded as the store encodes it. Expired entries and
    /// entries removed before they are read are left out. Pass the page's
    /// <see cref="EntryExportPage.NextAfterId"/> to get the next page, until <see cref="EntryExportPage.Done"/>.
    /// </summary>
    ValueTask<EntryExportPage> ExportAsync(string tenant, long afterId, int pageSize, CancellationToken cancellationToken = default);

    /// <summary>
    /// Recreates exported entries of <paramref name="tenant"/> in this engine, each under a new local id
    /// with its prompt, answer, vector, scope and context keys, tags, usage, creation time and expiry
    /// unchanged. An entry whose prompt (tenant, scope, context) already has a live entry here is skipped:
    /// the entry this engine holds is the one its own writes put there. Returns how many were imported.
    /// </summary>
    ValueTask<int> ImportAsync(string tenant, IReadOnlyList<byte[]> entries, CancellationToken cancellationToken = default);
}

/// <summary>One page of an export.</summary>
/// <param name="Entries">Encoded entries (<see cref="EntryRecordCodec"/>), in id order.</param>
/// <param name="NextAfterId">The cursor of the next page.</param>
/// <param name="Done">Whether no entry follows this page.</param>
internal sealed record EntryExportPage(IReadOnlyList<byte[]> Entries, long NextAfterId, bool Done);

internal sealed partial class SemanticCache : IEntryTransfer
{
    /// <summary>Most entries one export page may hold (what one page may cost in memory is this many records).</summary>
    internal const int MaxExportPageSize = 4_096;

    public ValueTask<EntryExportPage> ExportAsync(string tenant, long afterId, int pageSize, CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        RequestValidator.Tenant(tenant);
        ArgumentOutOfRangeException.ThrowIfNegative(afterId);
        if (pageSize is < 1 or > MaxExportPageSize)
        {
            throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, $"An export page holds 1 to {MaxExportPageSize} entries.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!_tenants.TryGetValue(tenant, out var state)) { return ValueTask.FromResult(new EntryExportPage([], afterId, Done: true)); }

        var now = NowTicks;
        var ids = NextIds(state, afterId, pageSize, now, out var more);
        var entries = new List<byte[]>(ids.Count);
        foreach (var id in ids)
        {
            // Removed (or replaced) since the ids were taken: not exported. A removal after this read is the
            // importing side's to apply (the cluster sends removals to a copy being filled as well).
            if (!_entries.TryGetValue(id, out var meta) || meta.IsExpired(now) || !_store.TryGet(id, out var record) || record is null) { continue; }
            var bytes = new byte[EntryRecordCodec.GetEncodedLength(record)];
            var length = EntryRecordCodec.Encode(record, bytes);
            entries.Add(length == bytes.Length ? bytes : bytes[..length]);
        }

        var next = ids.Count == 0 ? afterId : ids[^1];
        return ValueTask.FromResult(new EntryExportPage(entries, next, Done: !more));
    }

    /// <summary>
    /// The smallest <paramref name="pageSize"/> live ids above <paramref name="afterId"/>, ascending, and whether
    /// more follow. One pass over the tenant's list under the gate, keeping only a page-sized heap: the page, not
    /// the tenant, bounds the memory; the pass costs O(entries · log page) per page.
    /// </summary>
    private List<long> NextIds(TenantState state, long afterId, int pageSize, long now, out bool more)
    {
        // A max-heap of the smallest ids seen (priority = -id), so the largest kept id is the one to evict.
        var heap = new PriorityQueue<long, long>(pageSize + 1);
        var candidates = 0;
        lock (_gate)
        {
            foreach (var meta in state.Entries)
            {
                if (meta.Id <= afterId || meta.IsExpired(now)) { continue; }
                candidates++;
                if (heap.Count < pageSize)
                {
                    heap.Enqueue(meta.Id, -meta.Id);
                }
                else if (meta.Id < heap.Peek())
                {
                    heap.EnqueueDequeue(meta.Id, -meta.Id);
                }
            }
        }

        more = candidates > heap.Count;
        var ids = new List<long>(heap.Count);
        while (heap.TryDequeue(out var id, out _)) { ids.Add(id); }
        ids.Reverse();
        return ids;
    }

    public async ValueTask<int> ImportAsync(string tenant, IReadOnlyList<byte[]> entries, CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        RequestValidator.Tenant(tenant);
        ArgumentNullException.ThrowIfNull(entries);
        var records = new CacheEntryRecord[entries.Count];
        for (var i = 0; i < records.Length; i++)
        {
            // Everything is checked before anything is written, so a bad page imports nothing.
            if (entries[i] is not { } bytes || !EntryRecordCodec.TryDecode(bytes, out var record) || record is null)
            {
                throw new ArgumentException($"Entry {i} is not an exported entry (bad encoding or checksum).", nameof(entries));
            }

            if (!string.Equals(record.Tenant, tenant, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Entry {i} belongs to another tenant than '{tenant}'.", nameof(entries));
            }

            if (record.Vector is { } vector && vector.Length != _options.Dimensions)
            {
                throw new ArgumentException($"Entry {i} has a {vector.Length}-dimensional vector; this cache has {_options.Dimensions}.", nameof(entries));
            }

            records[i] = record;
        }

        cancellationToken.ThrowIfCancellationRequested();
        var state = TenantFor(tenant);
        var imported = 0;
        foreach (var record in records)
        {
            if (record.ExpiresUtcTicks != 0 && record.ExpiresUtcTicks <= NowTicks) { continue; }
            var analysis = _verifier.Options.Enabled ? PromptAnalysis.Analyze(record.Prompt) : null;

            // Under the exact key's store stripe, like a store: no store of the same prompt interleaves.
            var stripe = _storeStripes[(int)(Key128(record.ExactKey) % StoreStripes)];
            await stripe.WaitAsync(cancellationToken);
            try
            {
                ThrowIfDisposed();
                if (_store.TryGetExact(record.ExactKey, out var existing) && _entries.ContainsKey(existing)) { continue; }

                // A new local id: ids are per engine (this one may already use the source's). What identifies the
                // entry outside the engine (the cluster's id) travels in its tags, unchanged.
                var copy = record.WithId(Interlocked.Increment(ref _nextId));
                await _store.PutAsync(copy, CancellationToken.None);
                Apply(copy, state, analysis);
                imported++;
            }
            finally
            {
                stripe.Release();
            }
        }

        await EnforceCapacityAsync(state, cancellationToken);
        return imported;
    }
}
