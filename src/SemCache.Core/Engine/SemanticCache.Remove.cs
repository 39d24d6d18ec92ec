using SemCache.Partitions;

namespace SemCache.Engine;

internal enum RemovalReason
{
    Invalidated,
    Evicted,
    Expired,
    Replaced,
    Feedback,
}

internal sealed partial class SemanticCache
{
    public async ValueTask<long> InvalidateAsync(CacheInvalidation invalidation, CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        ArgumentNullException.ThrowIfNull(invalidation);
        RequestValidator.Tenant(invalidation.Tenant);
        if (!_tenants.TryGetValue(invalidation.Tenant, out var tenant))
        {
            throw new ArgumentException($"Tenant '{invalidation.Tenant}' is not known to this cache.", "Tenant");
        }

        List<long> victims;
        if (invalidation.EntryId is { } id)
        {
            // An id of another tenant is treated exactly like an id that does not exist.
            victims = _entries.TryGetValue(id, out var meta) && ReferenceEquals(meta.Tenant, tenant) ? [id] : [];
        }
        else if (invalidation.Tag is { } tag)
        {
            RequestValidator.Tag(tag, "Tag");
            lock (_gate)
            {
                victims = tenant.Tags.TryGetValue(tag, out var set) ? [.. set] : [];
            }
        }
        else if (invalidation.Scope is { } scope)
        {
            _validator.Scope(scope);
            var fp = ScopeKeys.ScopeFingerprint(scope);
            var partitions = _partitions.All
                .Where(p => string.Equals(p.Tenant, tenant.Name, StringComparison.Ordinal) && p.ScopeFingerprint.AsSpan().SequenceEqual(fp))
                .Select(p => p.Key)
                .ToHashSet();
            lock (_gate)
            {
                victims = [.. tenant.Entries.Where(e => partitions.Contains(e.PartitionKey)).Select(e => e.Id)];
            }
        }
        else
        {
            lock (_gate)
            {
                victims = [.. tenant.Entries.Select(e => e.Id)];
            }
        }

        return await RemoveAsync(victims, RemovalReason.Invalidated, cancellationToken);
    }

    /// <summary>
    /// Removes entries as one unit: out of memory first (so they are never served again), then
    /// deleted from the store in one batch that one write-ahead log commit covers (Durable mode).
    /// Returns how many were live, only after that commit: an acknowledged removal never comes back
    /// after a crash. Cancellation is honoured only before anything changed; once the removal has
    /// started it runs to the end. If the store write fails the entries are put back into memory, so
    /// memory and store agree and a retry removes them.
    /// </summary>
    private async ValueTask<long> RemoveAsync(List<long> ids, RemovalReason reason, CancellationToken cancellationToken)
    {
        if (ids.Count == 0) { return 0; }
        cancellationToken.ThrowIfCancellationRequested();
        var removed = TakeOutOfMemory(ids, reason);
        RemoveVectors(removed);

        // Records that were never in memory (a stale duplicate found at recovery) are deleted too.
        var doomed = reason == RemovalReason.Replaced ? ids : removed.ConvertAll(static m => m.Id);
        try
        {
            if (doomed.Count > 0) { await _store.DeleteManyAsync(doomed, CancellationToken.None); }
        }
        catch
        {
            Restore(removed);
            throw;
        }

        var reasonName = reason.ToString().ToLowerInvariant();
        _telemetry.Removals.Add(removed.Count, new KeyValuePair<string, object?>("reason", reasonName));
        Log.Removed(_logger, removed.Count, reasonName);
        return removed.Count;
    }

    private List<EntryMeta> TakeOutOfMemory(List<long> ids, RemovalReason reason)
    {
        var removed = new List<EntryMeta>(ids.Count);
        lock (_gate)
        {
            foreach (var id in ids)
            {
                if (!_entries.TryRemove(id, out var meta)) { continue; }
                removed.Add(meta);
                var tenant = meta.Tenant;
                SwapRemove(_all, meta, static m => m.GlobalSlot, static (m, s) => m.GlobalSlot = s);
                SwapRemove(tenant.Entries, meta, static m => m.TenantSlot, static (m, s) => m.TenantSlot = s);
                foreach (var tag in meta.Tags)
                {
                    if (tenant.Tags.TryGetValue(tag, out var set) && set.Remove(id) && set.Count == 0) { tenant.Tags.Remove(tag); }
                }

                _analyses.Remove(id);
                _expiries.Removed(meta.ExpiresTicks, LiveExpiries);
                Interlocked.Add(ref tenant.Bytes, -meta.Size);
                Interlocked.Add(ref _totalBytes, -meta.Size);
                switch (reason)
                {
                    case RemovalReason.Evicted: Interlocked.Increment(ref tenant.Evictions); break;
                    case RemovalReason.Expired: Interlocked.Increment(ref tenant.Expirations); break;
                    case RemovalReason.Invalidated or RemovalReason.Feedback: Interlocked.Increment(ref tenant.Invalidations); break;
                    default: break;
                }
            }
        }

        return removed;
    }

    /// <summary>
    /// After a failed store delete: the entries the store still holds come back into memory, each with
    /// the error-budget state it had (its labels are in its tenant's model already: learning them again
    /// from the record would count them twice).
    /// </summary>
    private void Restore(List<EntryMeta> removed)
    {
        foreach (var meta in removed)
        {
            if (_store.TryGet(meta.Id, out var record) && record is not null) { Apply(record, meta.Tenant, analysis: null, previous: meta); }
        }
    }

    /// <summary>
    /// Takes the removed entries' vectors out of their partitions: a partition losing all its
    /// entries is dropped whole, otherwise vectors go one by one under a lease, and the last lease
    /// returned on an emptied partition drops it (and frees its index).
    /// </summary>
    private void RemoveVectors(List<EntryMeta> removed)
    {
        var byPartition = new Dictionary<UInt128, List<long>>();
        foreach (var meta in removed)
        {
            if (!meta.HasVector) { continue; }
            if (!byPartition.TryGetValue(meta.PartitionKey, out var keys)) { byPartition[meta.PartitionKey] = keys = []; }
            keys.Add(meta.Id);
        }

        foreach (var (key, keys) in byPartition)
        {
            if (_partitions.TryDropAll(key, keys) || !_partitions.TryEnter(key, out var partition)) { continue; }
            try
            {
                foreach (var id in keys)
                {
                    if (partition.Index.Remove(id)) { Interlocked.Increment(ref partition.Version); }
                }

                ReportMaintenanceFault(partition);
            }
            finally
            {
                _partitions.Exit(partition);
            }
        }
    }

    private static void SwapRemove(List<EntryMeta> list, EntryMeta meta, Func<EntryMeta, int> getSlot, Action<EntryMeta, int> setSlot)
    {
        var slot = getSlot(meta);
        if (slot < 0 || slot >= list.Count || !ReferenceEquals(list[slot], meta)) { return; }
        var last = list[^1];
        list[slot] = last;
        setSlot(last, slot);
        list.RemoveAt(list.Count - 1);
        setSlot(meta, -1);
    }

    /// <summary>Every live entry's id and expiry, for rebuilding the expiry queue; caller holds the gate.</summary>
    private IEnumerable<(long Id, long ExpiresTicks)> LiveExpiries() => _all.Select(static m => (m.Id, m.ExpiresTicks));

    private async ValueTask RemoveExpiredAsync(CancellationToken cancellationToken)
    {
        var now = NowTicks;
        List<long>? due = null;
        lock (_gate)
        {
            while (_expiries.TryTakeDue(now, out var id, out var expires))
            {
                if (_entries.TryGetValue(id, out var meta) && meta.ExpiresTicks == expires) { (due ??= []).Add(id); }
            }
        }

        if (due is not null) { await RemoveAsync(due, RemovalReason.Expired, cancellationToken); }
    }

    /// <summary>Most entries one eviction round removes (one store batch, one commit).</summary>
    internal const int MaxEvictionBatch = 1_024;

    /// <summary>
    /// Evicts until the tenant and the whole cache are within their entry and byte limits. Victims
    /// are chosen by sampling (as Redis does): exact for small populations, O(1) for large ones. All
    /// victims one store needs are chosen first, against the counts their removal will leave, and
    /// removed together: one store batch and one write-ahead log commit, not one per victim.
    /// </summary>
    private async ValueTask EnforceCapacityAsync(TenantState tenant, CancellationToken cancellationToken)
    {
        while (true)
        {
            List<long> victims;
            lock (_gate)
            {
                victims = PickVictims(tenant, NowTicks);
            }

            if (victims.Count == 0) { return; }
            await RemoveAsync(victims, RemovalReason.Evicted, cancellationToken);
        }
    }

    /// <summary>Caller holds the gate.</summary>
    private List<long> PickVictims(TenantState tenant, long now)
    {
        var victims = new List<long>();
        HashSet<long>? chosen = null;
        long tenantEntries = tenant.Entries.Count, tenantBytes = Interlocked.Read(ref tenant.Bytes);
        long allEntries = _all.Count, allBytes = Interlocked.Read(ref _totalBytes);
        while (victims.Count < MaxEvictionBatch)
        {
            EntryMeta? victim;
            if (OverLimit(tenantEntries, tenantBytes, _options.MaxEntriesPerTenant, _options.MaxBytesPerTenant))
            {
                victim = PickVictim(tenant.Entries, now, chosen);
            }
            else if (OverLimit(allEntries, allBytes, _options.MaxEntries, _options.MaxBytes))
            {
                victim = PickVictim(_all, now, chosen);
            }
            else
            {
                break;
            }

            if (victim is null) { break; }
            (chosen ??= []).Add(victim.Id);
            victims.Add(victim.Id);
            if (ReferenceEquals(victim.Tenant, tenant))
            {
                tenantEntries--;
                tenantBytes -= victim.Size;
            }

            allEntries--;
            allBytes -= victim.Size;
        }

        return victims;
    }

    private static bool OverLimit(long entries, long bytes, long maxEntries, long maxBytes) =>
        (maxEntries > 0 && entries > maxEntries) || (maxBytes > 0 && bytes > maxBytes);

    private const int EvictionSamples = 16;

    /// <summary>The entry to evict next among <paramref name="population"/>, skipping those already <paramref name="chosen"/>.</summary>
    private EntryMeta? PickVictim(List<EntryMeta> population, long now, HashSet<long>? chosen)
    {
        var left = population.Count - (chosen?.Count ?? 0);
        if (left <= 0) { return null; }
        EntryMeta? worst = null;
        var worstScore = double.MaxValue;
        var exhaustive = population.Count <= EvictionSamples * 4 || left <= EvictionSamples * 4;
        var n = exhaustive ? population.Count : EvictionSamples;
        for (var i = 0; i < n; i++)
        {
            var candidate = exhaustive ? population[i] : population[Random.Shared.Next(population.Count)];
            if (chosen is not null && chosen.Contains(candidate.Id)) { continue; }
            var score = EvictionScore(candidate, now);
            if (score < worstScore || (score == worstScore && candidate.Id < worst!.Id))
            {
                worst = candidate;
                worstScore = score;
            }
        }

        return worst;
    }

    /// <summary>Lower is evicted first.</summary>
    private double EvictionScore(EntryMeta e, long now)
    {
        var lastAccess = Interlocked.Read(ref e.LastAccessTicks);
        if (e.IsExpired(now)) { return double.MinValue; }
        if (_options.EvictionPolicy == CacheEvictionPolicy.LeastRecentlyUsed) { return lastAccess; }

        // Money this entry is expected to save per byte it occupies: what one hit saves (its cost,
        // or its tokens when no cost was given), times how often it was hit, decayed by idleness.
        var perHit = e.Cost > 0 ? e.Cost : (e.InputTokens + e.OutputTokens) * 1e-6;
        var idleHours = Math.Max(0, now - lastAccess) / (double)TimeSpan.TicksPerHour;
        return (perHit + 1e-9) * (1 + Volatile.Read(ref e.Hits)) / Math.Max(1, e.Size) / (1 + idleHours);
    }
}
