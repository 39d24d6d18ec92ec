using System.Collections.Concurrent;
using SemCache.Cluster.Grains;
using SemCache.Cluster.Routing;
using SemCache.Engine;

namespace SemCache.Cluster.Replication;

/// <summary>
/// This silo's copies of partition groups, in this silo's embedded engine (its own FASTER data
/// directory). A group's copy lives under its own engine tenant (<see cref="GroupRouting.EngineTenant"/>),
/// so dropping a copy is one tenant removal and no group can see another's entries.
/// </summary>
/// <remarks>
/// <para>
/// The copy remembers, in memory, which configuration (epoch) of its group it belongs to and since which
/// configuration it has received every write. That knowledge is only true for this silo's lifetime: a silo
/// that died may have missed removals while it was down, so its data directory is emptied when it starts
/// (<see cref="ClusterHosting"/>) and it rejoins the cluster with no copies. The entries it held survive
/// on the other replicas.
/// </para>
/// <para>
/// Calls arrive concurrently (the entry grain is reentrant, so that one silo's lookups do not queue behind
/// each other); the epoch check is a fence against coordinators of an older configuration, not a lock.
/// </para>
/// </remarks>
internal sealed class SiloCopyStore(ISemanticCache engine, string silo) : ICopyOps, IDisposable
{
    private readonly ConcurrentDictionary<string, CopyState> _copies = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _membershipGate = new(1, 1);

    // Writes running per group copy held here (removed when the copy is dropped).
    private readonly ConcurrentDictionary<string, WriteCounter> _writes = new(StringComparer.Ordinal);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromSeconds(10);

    public string Silo => silo;

    /// <summary>Group copies held here, with their epoch, filled or not (every one is re-checked after a membership change).</summary>
    public Dictionary<string, long> Copies() => _copies.ToDictionary(p => p.Key, p => p.Value.Epoch, StringComparer.Ordinal);

    /// <summary>Group copies that hold their group's data, with their epoch (for the dashboard): a copy being filled is not one yet.</summary>
    public Dictionary<string, long> FilledCopies() =>
        _copies.Where(p => p.Value.Filled).ToDictionary(p => p.Key, p => p.Value.Epoch, StringComparer.Ordinal);

    public Task<CopyStatus> GetStatusAsync(string group) =>
        Task.FromResult(_copies.TryGetValue(group, out var state)
            ? new CopyStatus(silo, true, state.Epoch, state.JoinedEpoch, state.Filled)
            : new CopyStatus(silo, false, 0, 0, false));

    public async Task<CopyStatus> JoinAsync(string group, long epoch, long joinedEpoch, bool fresh)
    {
        // Joins and drops of this silo's copies run one at a time: a check of the epoch and the removal of the
        // data it allows must not interleave with another coordinator's join or drop (rare calls; lookups and
        // writes do not take this gate).
        await _membershipGate.WaitAsync().ConfigureAwait(false);
        try
        {
            // An epoch is taken once per copy, and checked before anything is removed: a second coordinator that
            // computed the same epoch (two activations of the group for a moment while membership changes) is
            // refused here, so it can neither write under it nor empty a copy the other one holds.
            if (_copies.TryGetValue(group, out var existing) && existing.Epoch >= epoch)
            {
                throw new StaleGroupException($"group {group} already has configuration {existing.Epoch} on {silo}; {epoch} is not newer");
            }

            // The new epoch first: from here on writes of older configurations are refused (fenced)...
            // A new member starts unfilled, and a copy that was not filled stays so: only the coordinator that
            // completed its fill marks it (MarkFilledAsync). Without that mark, a fresh copy whose join or fill
            // timed out under load (applied here, given up by the coordinator) would pass for a full copy of
            // its epoch at the next discovery, and the group's entries would be lost with the last filled copy.
            var wipe = fresh || existing is null;
            var state = new CopyState(epoch, wipe ? epoch : Math.Min(existing!.JoinedEpoch, joinedEpoch), !wipe && existing!.Filled);
            _copies[group] = state;

            // ...and those already past the fence finish before the join answers: a copy that joined holds every
            // write an older configuration applied to it, so a new member filled from it next misses none of them
            // (and gets no entry whose removal was under way).
            await DrainAsync(group).ConfigureAwait(false);
            if (wipe)
            {
                // A new member starts empty: whatever an earlier copy left here may have missed writes.
                await RemoveAllAsync(group).ConfigureAwait(false);
            }

            return new CopyStatus(silo, true, state.Epoch, state.JoinedEpoch, state.Filled);
        }
        finally
        {
            _membershipGate.Release();
        }
    }

    public async Task MarkFilledAsync(string group, long epoch)
    {
        await _membershipGate.WaitAsync().ConfigureAwait(false);
        try
        {
            // Fenced like a write: a copy a newer coordinator joined since (and may have emptied) is not marked.
            Fence(group, epoch);
            var state = _copies[group];
            _copies[group] = state with { Filled = true };
        }
        finally
        {
            _membershipGate.Release();
        }
    }

    public async Task DropAsync(string group, long olderThanEpoch)
    {
        await _membershipGate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_copies.TryGetValue(group, out var state) && state.Epoch < olderThanEpoch)
            {
                _copies.TryRemove(new KeyValuePair<string, CopyState>(group, state));
                await DrainAsync(group).ConfigureAwait(false);

                // Without a copy every write is fenced off, so the group's counter can go (the map stays bounded by
                // the copies held here); a later join starts a new one.
                _writes.TryRemove(group, out _);
                await RemoveAllAsync(group).ConfigureAwait(false);
            }
        }
        finally
        {
            _membershipGate.Release();
        }
    }

    public async Task<CopyStoreReply> StoreAsync(string group, long epoch, StoreCall call)
    {
        using var write = EnterWrite(group, epoch);
        var (tenant, bucket) = GroupRouting.ParseGroupKey(group);
        var request = call.Request with { Tenant = GroupRouting.EngineTenant(tenant, bucket) };
        var result = await engine.StoreAsync(request).ConfigureAwait(false);
        return new CopyStoreReply(result.EntryId, result.Replaced);
    }

    public async Task<long> InvalidateAsync(string group, long epoch, InvalidateCall call)
    {
        using var write = EnterWrite(group, epoch);
        var (tenant, bucket) = GroupRouting.ParseGroupKey(group);
        var engineTenant = GroupRouting.EngineTenant(tenant, bucket);
        var invalidation = call.Kind switch
        {
            InvalidationKind.Tag => CacheInvalidation.ForTag(engineTenant, call.Tag!),
            InvalidationKind.Scope => CacheInvalidation.ForScope(engineTenant, call.Scope!),
            _ => CacheInvalidation.ForTenant(engineTenant),
        };
        return await RemoveAsync(invalidation).ConfigureAwait(false);
    }

    public async Task<CopyLookupReply> LookupAsync(string group, long epoch, LookupBatchCall call)
    {
        Fence(group, epoch);
        var (tenant, bucket) = GroupRouting.ParseGroupKey(group);
        var engineTenant = GroupRouting.EngineTenant(tenant, bucket);
        if (call.Requests.Length == 1)
        {
            var one = await engine.LookupAsync(call.Requests[0] with { Tenant = engineTenant }).ConfigureAwait(false);
            return new CopyLookupReply([one]);
        }

        var requests = new CacheLookupRequest[call.Requests.Length];
        for (var i = 0; i < requests.Length; i++) { requests[i] = call.Requests[i] with { Tenant = engineTenant }; }
        var results = await engine.LookupBatchAsync(requests).ConfigureAwait(false);
        return new CopyLookupReply([.. results]);
    }

    /// <summary>
    /// Runs the engine's validation of lookups that no copy can answer (their group holds nothing): the
    /// engine checks them under a tenant that never holds entries (no real group's engine tenant lacks
    /// <c>@@g</c>), so an invalid request is refused in an empty group exactly as in a full one.
    /// </summary>
    public async Task<CacheLookupResult[]> ValidateAsync(CacheLookupRequest[] requests)
    {
        const string nobody = "semcache.cluster.validation";
        if (requests.Length == 1)
        {
            return [await engine.LookupAsync(requests[0] with { Tenant = nobody, Mode = CacheLookupMode.ExactOnly }).ConfigureAwait(false)];
        }

        return [.. await engine.LookupBatchAsync([.. requests.Select(r => r with { Tenant = nobody, Mode = CacheLookupMode.ExactOnly })]).ConfigureAwait(false)];
    }

    public async Task<bool> ReportHitAsync(string group, long epoch, long localId, bool correct)
    {
        Fence(group, epoch);
        var (tenant, bucket) = GroupRouting.ParseGroupKey(group);
        return await engine.ReportHitAsync(new CacheHitFeedback(GroupRouting.EngineTenant(tenant, bucket), localId, correct)).ConfigureAwait(false);
    }

    public async Task<CacheStats?> GetStatsAsync(string? group)
    {
        if (group is null) { return await engine.GetStatsAsync(null).ConfigureAwait(false); }
        if (!_copies.ContainsKey(group)) { return null; }
        var (tenant, bucket) = GroupRouting.ParseGroupKey(group);
        return await engine.GetStatsAsync(GroupRouting.EngineTenant(tenant, bucket)).ConfigureAwait(false);
    }

    public async Task<CopyExportPage> ExportAsync(string group, long epoch, long afterId, int pageSize)
    {
        Fence(group, epoch);
        var (tenant, bucket) = GroupRouting.ParseGroupKey(group);
        var page = await Transfer.ExportAsync(GroupRouting.EngineTenant(tenant, bucket), afterId, pageSize).ConfigureAwait(false);
        return new CopyExportPage([.. page.Entries], page.NextAfterId, page.Done);
    }

    public async Task<int> ImportAsync(string group, long epoch, CopyExportPage page)
    {
        using var write = EnterWrite(group, epoch);
        var (tenant, bucket) = GroupRouting.ParseGroupKey(group);
        return await Transfer.ImportAsync(GroupRouting.EngineTenant(tenant, bucket), page.Entries).ConfigureAwait(false);
    }

    /// <summary>
    /// The engine's export/import surface. The server registers the engine itself; an engine wrapped in
    /// something that does not pass it on cannot hold cluster copies (a new member could never be filled).
    /// </summary>
    private IEntryTransfer Transfer => engine as IEntryTransfer
        ?? throw new NotSupportedException($"The engine of silo {silo} ({engine.GetType().Name}) cannot export or import entries; cluster copies need the embedded engine.");

    /// <summary>
    /// Counts a write (store, removal, import) into the group's copy and then checks its epoch: a join that
    /// moved the copy to a newer epoch sees it counted and waits for it (<see cref="DrainAsync"/>).
    /// </summary>
    private WriteScope EnterWrite(string group, long epoch)
    {
        var counter = _writes.GetOrAdd(group, static _ => new WriteCounter());
        Interlocked.Increment(ref counter.Count);
        try
        {
            Fence(group, epoch);
        }
        catch
        {
            Interlocked.Decrement(ref counter.Count);
            throw;
        }

        return new WriteScope(counter);
    }

    /// <summary>
    /// Waits until no write of the group is running here. Called after the copy's epoch changed, so only writes
    /// that passed the older fence remain; each is one engine call. Bounded anyway: a write stuck longer than
    /// <see cref="DrainLimit"/> (a faulted disk) is the caller's failure to handle, not a reason to hang the join.
    /// </summary>
    private async Task DrainAsync(string group)
    {
        if (!_writes.TryGetValue(group, out var counter)) { return; }
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (Volatile.Read(ref counter.Count) > 0)
        {
            if (waited.Elapsed > DrainLimit)
            {
                throw new ClusterUnavailableException($"writes to group {group} on {silo} did not finish within {DrainLimit.TotalSeconds:0} s; the copy cannot change configuration");
            }

            await Task.Delay(1).ConfigureAwait(false);
        }
    }

    private void Fence(string group, long epoch)
    {
        if (!_copies.TryGetValue(group, out var state) || state.Epoch != epoch)
        {
            throw new StaleGroupException($"group {group} on {silo} is not in configuration {epoch}");
        }
    }

    private async Task RemoveAllAsync(string group)
    {
        var (tenant, bucket) = GroupRouting.ParseGroupKey(group);
        await RemoveAsync(CacheInvalidation.ForTenant(GroupRouting.EngineTenant(tenant, bucket))).ConfigureAwait(false);
    }

    /// <summary>
    /// A removal in the engine. The engine refuses a tenant it holds nothing of; for a copy (which may be
    /// empty, or emptied by earlier removals) that simply means nothing was removed.
    /// </summary>
    private async Task<long> RemoveAsync(CacheInvalidation invalidation)
    {
        try
        {
            return await engine.InvalidateAsync(invalidation).ConfigureAwait(false);
        }
        catch (ArgumentException e) when (e.ParamName == "Tenant" && e.Message.Contains("is not known", StringComparison.Ordinal))
        {
            return 0;
        }
    }

    public void Dispose() => _membershipGate.Dispose();

    private sealed class WriteCounter
    {
        public int Count;
    }

    private readonly struct WriteScope(WriteCounter counter) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref counter.Count);
    }

    private sealed record CopyState(long Epoch, long JoinedEpoch, bool Filled);
}
