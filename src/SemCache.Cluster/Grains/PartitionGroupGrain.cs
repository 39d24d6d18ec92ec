using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Concurrency;
using Orleans.Runtime;
using SemCache.Cluster.Placement;
using SemCache.Cluster.Replication;
using SemCache.Cluster.Routing;

namespace SemCache.Cluster.Grains;

/// <summary>
/// Coordinates one partition group. Reentrant, so that a hot group's lookups run side by side; the
/// replica set is an immutable snapshot replaced under a gate, so a call works on one consistent
/// configuration from start to end.
/// </summary>
/// <remarks>
/// Durability model (replication): a store is acknowledged after every member of the replica set
/// (<see cref="SemCacheClusterOptions.Replicas"/> silos) applied it to its engine. When a member fails,
/// the coordinator re-discovers the copies, keeps the survivors, adds fresh members to reach the
/// replica count under a new epoch, and sends the write again (stores and removals are idempotent), so
/// an acknowledged write is on every member of the configuration that follows. A coordinator that
/// re-activates elsewhere after its silo died does the same discovery: the surviving copies of the
/// newest epoch hold every acknowledged write; copies of older epochs (which may have missed removals)
/// are dropped, never read.
/// </remarks>
[GroupPlacement, Reentrant]
internal sealed partial class PartitionGroupGrain(
    SiloCopyStore localCopy,
    ClusterCounters counters,
    IOptions<SemCacheClusterOptions> options,
    IClusterMembershipService membership,
    ILogger<PartitionGroupGrain> logger) : Grain, IPartitionGroupGrain
{
    /// <summary>Request-context key carrying the silo whose API received the call (forwarding statistics).</summary>
    internal const string FromSiloKey = "semcache.from";

    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(3);

    private Task<GroupConfig?>? _building;
    private readonly FeedbackMemory _served = new(options.Value.FeedbackMemory);
    private GroupConfig? _config;
    private bool _confirmedEmpty;
    private bool _contended;
    private long _highestEpochSeen;
    private uint _sequence;
    private Exception? _lastFailure;

    // Silos whose copy failed a write or a read since the last rebuild: the next configuration leaves them out
    // (a copy that failed a write may lack it; one that keeps failing must not block every write of the group).
    private readonly HashSet<string> _suspects = new(StringComparer.Ordinal);

    private string Group => this.GetPrimaryKeyString();

    private int Replicas => options.Value.Replicas;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        counters.Activated(Group);
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        counters.Deactivated(Group);
        return Task.CompletedTask;
    }

    public Task<(string[] Members, long Epoch)> DescribeAsync() =>
        Task.FromResult(_config is { } c ? (c.Members.Select(m => m.Silo).ToArray(), c.Epoch) : (Array.Empty<string>(), 0L));

    public async Task<bool> RebalanceAsync()
    {
        var config = await ConfigurationAsync(forWrite: false, failed: null).ConfigureAwait(true);
        if (config is null) { return false; }

        var active = ActiveSilos();
        var names = active.Select(s => s.ToParsableString()).ToHashSet(StringComparer.Ordinal);
        var ranked = GroupPlacement.Rank(Group, active).Select(s => s.ToParsableString()).ToList();
        var lost = config.Members.Any(m => !names.Contains(m.Silo));
        var missing = config.Members.Length < Math.Min(Replicas, active.Count);
        var misplaced = ranked.Take(Replicas).Any(d => config.Members.All(m => m.Silo != d));
        var moved = false;
        if (lost || missing || misplaced)
        {
            var rebuilt = await ConfigurationAsync(forWrite: true, failed: config, rebalance: true).ConfigureAwait(true);
            moved = rebuilt is not null && !rebuilt.Members.Select(m => m.Silo).Order(StringComparer.Ordinal)
                .SequenceEqual(config.Members.Select(m => m.Silo).Order(StringComparer.Ordinal), StringComparer.Ordinal);
        }

        if (ranked.Count > 0 && ranked[0] != localCopy.Silo)
        {
            // Another silo ranks first now: the next call activates the coordinator there (placement), and that
            // activation discovers the copies under a new epoch, which fences this one off.
            DeactivateOnIdle();
            moved = true;
        }

        return moved;
    }

    private void CountCall()
    {
        var from = RequestContext.Get(FromSiloKey) as string;
        counters.Received(forwarded: from is not null && from != localCopy.Silo);
    }

    /// <summary>An immutable replica set: read copy first (the one that has held the group longest).</summary>
    private sealed record GroupConfig(long Epoch, ICopyOps[] Members);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {Group}: configuration {Epoch} on {Members}")]
    private static partial void LogConfigured(ILogger logger, string group, long epoch, string members);

    [LoggerMessage(Level = LogLevel.Information, Message = "Group {Group}: new copy on {Target} filled from {Source} ({Entries} entries)")]
    private static partial void LogFilled(ILogger logger, string group, string target, string source, long entries);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Group {Group}: copy on {Silo} failed; reconfiguring")]
    private static partial void LogMemberFailed(ILogger logger, Exception exception, string group, string silo);
}
