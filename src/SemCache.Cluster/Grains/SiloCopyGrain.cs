using Orleans;
using Orleans.Concurrency;
using SemCache.Cluster.Placement;
using SemCache.Cluster.Replication;

namespace SemCache.Cluster.Grains;

/// <summary>
/// The network entry point into one silo's <see cref="SiloCopyStore"/>. Pinned to the silo its key
/// names and reentrant: it holds no state of its own, and lookups must not queue behind each other.
/// </summary>
[SiloPinnedPlacement, Reentrant]
internal sealed class SiloCopyGrain(SiloCopyStore store, ClusterCounters counters) : Grain, ISiloCopyGrain
{
    public Task<CopyStatus> GetStatusAsync(string group) => store.GetStatusAsync(group);

    public Task<CopyStatus> JoinAsync(string group, long epoch, long joinedEpoch, bool fresh) => store.JoinAsync(group, epoch, joinedEpoch, fresh);

    public Task DropAsync(string group, long olderThanEpoch) => store.DropAsync(group, olderThanEpoch);

    public Task MarkFilledAsync(string group, long epoch) => store.MarkFilledAsync(group, epoch);

    public Task<CopyStoreReply> StoreAsync(string group, long epoch, StoreCall call) => store.StoreAsync(group, epoch, call);

    public Task<long> InvalidateAsync(string group, long epoch, InvalidateCall call) => store.InvalidateAsync(group, epoch, call);

    public Task<CopyLookupReply> LookupAsync(string group, long epoch, LookupBatchCall call) => store.LookupAsync(group, epoch, call);

    public Task<bool> ReportHitAsync(string group, long epoch, long localId, bool correct) => store.ReportHitAsync(group, epoch, localId, correct);

    public Task<CacheStats?> GetStatsAsync(string? group) => store.GetStatsAsync(group);

    public Task<CopyExportPage> ExportAsync(string group, long epoch, long afterId, int pageSize) => store.ExportAsync(group, epoch, afterId, pageSize);

    public Task<int> ImportAsync(string group, long epoch, CopyExportPage page) => store.ImportAsync(group, epoch, page);

    public Task<SiloView> GetViewAsync() =>
        Task.FromResult(new SiloView(store.Silo, store.FilledCopies(), [.. counters.Primaries], counters.Forwarded, counters.Local, counters.Moves));
}
