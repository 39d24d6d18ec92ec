using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using SemCache.Cluster.Grains;
using SemCache.Cluster.Replication;

namespace SemCache.Cluster.Placement;

/// <summary>
/// Reacts on this silo to membership changes: when the set of active silos changes (a silo died, left or
/// joined), every group this silo holds a copy of or coordinates is asked to check itself
/// (<see cref="IPartitionGroupGrain.RebalanceAsync"/>): replace members on silos that left, with the new copy
/// filled from a survivor, and move copies and coordinator to the silos that rank first now. Without it a
/// group would only notice a dead member on its next failing call, and a second death before that could take
/// its last copy. Bounded: <see cref="SemCacheClusterOptions.MovesAtOnce"/> groups at a time, a pause of
/// <see cref="SemCacheClusterOptions.MoveInterval"/> between rounds; the queue holds each group once (at most
/// the groups this silo holds).
/// </summary>
internal sealed partial class GroupRebalancer(
    IClusterMembershipService membership,
    IGrainFactory grains,
    SiloCopyStore localCopy,
    ClusterCounters counters,
    IOptions<SemCacheClusterOptions> options,
    ILogger<GroupRebalancer> logger) : ILifecycleParticipant<ISiloLifecycle>, IDisposable
{
    // A group whose check failed (a silo not yet declared dead, a placement that did not see the new silo yet) is
    // tried again, a few times: the next membership change queues it anew anyway.
    private const int Attempts = 3;

    private readonly Dictionary<string, int> _pending = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _watching;
    private Task? _working;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(GroupRebalancer), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>Groups waiting for their check.</summary>
    public int Pending
    {
        get
        {
            lock (_gate) { return _pending.Count; }
        }
    }

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _watching = Task.Run(WatchAsync, CancellationToken.None);
        _working = Task.Run(WorkAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var task in new[] { _watching, _working })
        {
            if (task is null) { continue; }
            try
            {
                await task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    private async Task WatchAsync()
    {
        HashSet<SiloAddress>? seen = null;
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(_stop.Token).ConfigureAwait(false))
            {
                var active = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToHashSet();
                if (seen is not null && seen.SetEquals(active)) { continue; }
                var first = seen is null;
                seen = active;

                // At start this silo holds no copies (its data is emptied; ClusterHosting), so the first snapshot queues nothing.
                if (!first || localCopy.Copies().Count > 0) { Enqueue(localCopy.Copies().Keys.Concat(counters.Primaries)); }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogStopped(logger, e);
        }
    }

    /// <summary>Queues groups for their check (each group once, however often it is queued).</summary>
    internal void Enqueue(IEnumerable<string> groups)
    {
        lock (_gate)
        {
            foreach (var group in groups) { _pending[group] = 0; }
            counters.MovesPending(_pending.Count);
        }

        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another enqueue woke the worker first.
            }
        }
    }

    private async Task WorkAsync()
    {
        var token = _stop.Token;
        try
        {
            while (true)
            {
                await _wake.WaitAsync(token).ConfigureAwait(false);
                while (Take() is { Count: > 0 } round)
                {
                    var outcomes = await Task.WhenAll(round.Select(p => CheckAsync(p.Group, p.Tries))).ConfigureAwait(false);
                    var retry = round.Zip(outcomes).Where(p => p.Second is null && p.First.Tries + 1 < Attempts).Select(p => p.First).ToList();
                    lock (_gate)
                    {
                        foreach (var (group, tries) in retry) { _pending.TryAdd(group, tries + 1); }
                        counters.MovesPending(_pending.Count);
                    }

                    await Task.Delay(options.Value.MoveInterval, token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
    }

    /// <summary>The next round: at most <see cref="SemCacheClusterOptions.MovesAtOnce"/> queued groups.</summary>
    internal List<(string Group, int Tries)> Take()
    {
        lock (_gate)
        {
            var round = _pending.Take(options.Value.MovesAtOnce).Select(p => (p.Key, p.Value)).ToList();
            foreach (var (group, _) in round) { _pending.Remove(group); }
            counters.MovesPending(_pending.Count + round.Count);
            return round;
        }
    }

    /// <summary>One group's check: true when it moved something, false when nothing had to move, null when it failed.</summary>
    private async Task<bool?> CheckAsync(string group, int tries)
    {
        try
        {
            var moved = await grains.GetGrain<IPartitionGroupGrain>(group).RebalanceAsync().WaitAsync(options.Value.ResponseTimeout * 3, _stop.Token).ConfigureAwait(false);
            if (moved)
            {
                counters.MoveDone();
                // The coordinator may have left for the silo that ranks first: check once more there.
                if (tries + 1 < Attempts)
                {
                    lock (_gate) { _pending.TryAdd(group, tries + 1); }
                }
            }

            return moved;
        }
        catch (Exception e) when (e is not OutOfMemoryException && !_stop.IsCancellationRequested)
        {
            LogCheckFailed(logger, e, group);
            return null;
        }
    }

    public void Dispose()
    {
        _stop.Dispose();
        _wake.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Group {Group}: placement check failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, string group);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cluster membership watch stopped; groups are no longer re-replicated after membership changes")]
    private static partial void LogStopped(ILogger logger, Exception exception);
}
