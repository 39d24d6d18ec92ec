using System.Collections.Concurrent;
using SemCache.Cluster.Grains;
using SemCache.Cluster.Routing;

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
internal sealed class SiloCopyStore(ISemanticCache engine, string silo) : ICopyOps
{
    private readonly ConcurrentDictionary<string, CopyState> _copies = new(StringComparer.Ordinal);

    public string Silo => silo;

    /// <summary>Group copies held here, with their epoch (for the dashboard).</summary>
    public Dictionary<string, long> Copies() => _copies.ToDictionary(p => p.Key, p => p.Value.Epoch, StringComparer.Ordinal);

    public Task<CopyStatus> GetStatusAsync(string group) =>
        Task.FromResult(_copies.TryGetValue(group, out var state)
            ? new CopyStatus(silo, true, state.Epoch, state.JoinedEpoch)
            : new CopyStatus(silo, false, 0, 0));

    public async Task<CopyStatus> JoinAsync(string group, long epoch, long joinedEpoch, bool fresh)
    {
        if (fresh || !_copies.ContainsKey(group))
        {
            // A new member starts empty: whatever an earlier copy left here may have missed writes.
            _copies.TryRemove(group, out _);
            await RemoveAllAsync(group).ConfigureAwait(false);
            joinedEpoch = epoch;
        }

        // An epoch is taken once per copy: a second coordinator that computed the same epoch (two activations
        // of the group for a moment while membership changes) is refused here, so it cannot write under it.
        var taken = false;
        var state = _copies.AddOrUpdate(
            group,
            _ => new CopyState(epoch, joinedEpoch),
            (_, existing) =>
            {
                taken = existing.Epoch >= epoch;
                return taken ? existing : new CopyState(epoch, Math.Min(existing.JoinedEpoch, joinedEpoch));
            });
        if (taken || state.Epoch != epoch)
        {
            throw new StaleGroupException($"group {group} already has configuration {state.Epoch} on {silo}; {epoch} is not newer");
        }

        return new CopyStatus(silo, true, state.Epoch, state.JoinedEpoch);
    }

    public async Task DropAsync(string group, long olderThanEpoch)
    {
        if (_copies.TryGetValue(group, out var state) && state.Epoch < olderThanEpoch)
        {
            _copies.TryRemove(new KeyValuePair<string, CopyState>(group, state));
            await RemoveAllAsync(group).ConfigureAwait(false);
        }
    }

    public async Task<CopyStoreReply> StoreAsync(string group, long epoch, StoreCall call)
    {
        Fence(group, epoch);
        var (tenant, bucket) = GroupRouting.ParseGroupKey(group);
        var request = call.Request with { Tenant = GroupRouting.EngineTenant(tenant, bucket) };
        var result = await engine.StoreAsync(request).ConfigureAwait(false);
        return new CopyStoreReply(result.EntryId, result.Replaced);
    }

    public async Task<long> InvalidateAsync(string group, long epoch, InvalidateCall call)
    {
        Fence(group, epoch);
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

    private sealed record CopyState(long Epoch, long JoinedEpoch);
}
