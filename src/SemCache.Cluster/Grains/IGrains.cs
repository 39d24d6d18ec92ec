using Orleans;

namespace SemCache.Cluster.Grains;

/// <summary>
/// The coordinator of one partition group (a tenant's hash bucket of scopes), keyed
/// <c>bucket/tenant</c>. It keeps the group's replica set: the silos whose engines hold a copy. Stores
/// and removals go to every copy before they are acknowledged; lookups are served by one copy,
/// preferably on this grain's own silo.
/// </summary>
[Alias("semcache.IPartitionGroupGrain")]
internal interface IPartitionGroupGrain : IGrainWithStringKey
{
    [Alias("Lookup")]
    Task<LookupReply> LookupAsync(LookupCall call);

    [Alias("LookupBatch")]
    Task<LookupBatchReply> LookupBatchAsync(LookupBatchCall call);

    [Alias("Store")]
    Task<CacheStoreResult> StoreAsync(StoreCall call);

    [Alias("Invalidate")]
    Task<long> InvalidateAsync(InvalidateCall call);

    [Alias("ReportHit")]
    Task<bool> ReportHitAsync(long entryId, bool correct);

    [Alias("Stats")]
    Task<CacheStats?> GetStatsAsync();

    /// <summary>
    /// Checks the group against the current membership: a member on a silo that left is replaced (the new
    /// copy filled from a surviving one), copies move to the silos that now rank first for the group, and the
    /// coordinator deactivates when another silo ranks first (the next call activates it there). True when
    /// anything moved.
    /// </summary>
    [Alias("Rebalance")]
    Task<bool> RebalanceAsync();

    /// <summary>The group's replica set (silo addresses, read copy first) and its epoch; empty while no copy exists.</summary>
    [Alias("Describe")]
    Task<(string[] Members, long Epoch)> DescribeAsync();
}

/// <summary>
/// The entry point into one silo's engine, keyed by that silo's address and always activated on it
/// (<see cref="Placement.SiloPinnedPlacementAttribute"/>). Each call names the group and, for reads and
/// writes, the configuration epoch of the caller: a copy that belongs to another epoch refuses it, which
/// fences off a stale coordinator.
/// </summary>
[Alias("semcache.ISiloCopyGrain")]
internal interface ISiloCopyGrain : IGrainWithStringKey
{
    [Alias("Status")]
    Task<CopyStatus> GetStatusAsync(string group);

    [Alias("Join")]
    Task<CopyStatus> JoinAsync(string group, long epoch, long joinedEpoch, bool fresh);

    [Alias("Drop")]
    Task DropAsync(string group, long olderThanEpoch);

    [Alias("MarkFilled")]
    Task MarkFilledAsync(string group, long epoch);

    [Alias("Store")]
    Task<CopyStoreReply> StoreAsync(string group, long epoch, StoreCall call);

    [Alias("Invalidate")]
    Task<long> InvalidateAsync(string group, long epoch, InvalidateCall call);

    [Alias("Lookup")]
    Task<CopyLookupReply> LookupAsync(string group, long epoch, LookupBatchCall call);

    [Alias("ReportHit")]
    Task<bool> ReportHitAsync(string group, long epoch, long localId, bool correct);

    [Alias("Stats")]
    Task<CacheStats?> GetStatsAsync(string? group);

    [Alias("Export")]
    Task<CopyExportPage> ExportAsync(string group, long epoch, long afterId, int pageSize);

    [Alias("Import")]
    Task<int> ImportAsync(string group, long epoch, CopyExportPage page);

    [Alias("View")]
    Task<SiloView> GetViewAsync();
}
