using SemCache.Cluster.Grains;

namespace SemCache.Cluster.Replication;

/// <summary>
/// What a group coordinator asks of one silo's copy. The copy on the coordinator's own silo is called
/// directly (<see cref="SiloCopyStore"/>), a copy on another silo through its pinned grain
/// (<see cref="RemoteCopy"/>): one code path for both, no grain hop for local reads.
/// </summary>
internal interface ICopyOps
{
    string Silo { get; }

    Task<CopyStatus> GetStatusAsync(string group);

    Task<CopyStatus> JoinAsync(string group, long epoch, long joinedEpoch, bool fresh);

    Task DropAsync(string group, long olderThanEpoch);

    /// <summary>
    /// Marks the copy as holding the group's data (fenced by epoch): called once its fill from a surviving copy
    /// completed, or right after a fresh join when the group had nothing to fill from.
    /// </summary>
    Task MarkFilledAsync(string group, long epoch);

    Task<CopyStoreReply> StoreAsync(string group, long epoch, StoreCall call);

    Task<long> InvalidateAsync(string group, long epoch, InvalidateCall call);

    Task<CopyLookupReply> LookupAsync(string group, long epoch, LookupBatchCall call);

    Task<bool> ReportHitAsync(string group, long epoch, long localId, bool correct);

    Task<CacheStats?> GetStatsAsync(string? group);

    /// <summary>A page of the copy's live entries (fenced by epoch like a read), to fill another copy.</summary>
    Task<CopyExportPage> ExportAsync(string group, long epoch, long afterId, int pageSize);

    /// <summary>Adds exported entries to the copy (fenced by epoch like a write); returns how many were new.</summary>
    Task<int> ImportAsync(string group, long epoch, CopyExportPage page);
}

/// <summary>A copy on another silo, reached through its pinned grain.</summary>
internal sealed class RemoteCopy(string silo, ISiloCopyGrain grain, ClusterCounters counters) : ICopyOps
{
    public string Silo => silo;

    public Task<CopyStatus> GetStatusAsync(string group) => Count(grain.GetStatusAsync(group));

    public Task<CopyStatus> JoinAsync(string group, long epoch, long joinedEpoch, bool fresh) => Count(grain.JoinAsync(group, epoch, joinedEpoch, fresh));

    public Task DropAsync(string group, long olderThanEpoch)
    {
        counters.RemoteCopyCall();
        return grain.DropAsync(group, olderThanEpoch);
    }

    public Task MarkFilledAsync(string group, long epoch)
    {
        counters.RemoteCopyCall();
        return grain.MarkFilledAsync(group, epoch);
    }

    public Task<CopyStoreReply> StoreAsync(string group, long epoch, StoreCall call) => Count(grain.StoreAsync(group, epoch, call));

    public Task<long> InvalidateAsync(string group, long epoch, InvalidateCall call) => Count(grain.InvalidateAsync(group, epoch, call));

    public Task<CopyLookupReply> LookupAsync(string group, long epoch, LookupBatchCall call) => Count(grain.LookupAsync(group, epoch, call));

    public Task<bool> ReportHitAsync(string group, long epoch, long localId, bool correct) => Count(grain.ReportHitAsync(group, epoch, localId, correct));

    public Task<CacheStats?> GetStatsAsync(string? group) => Count(grain.GetStatsAsync(group));

    public Task<CopyExportPage> ExportAsync(string group, long epoch, long afterId, int pageSize) => Count(grain.ExportAsync(group, epoch, afterId, pageSize));

    public Task<int> ImportAsync(string group, long epoch, CopyExportPage page) => Count(grain.ImportAsync(group, epoch, page));

    private Task<T> Count<T>(Task<T> call)
    {
        counters.RemoteCopyCall();
        return call;
    }
}
