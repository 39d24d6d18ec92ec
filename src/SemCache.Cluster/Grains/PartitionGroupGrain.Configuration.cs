using Microsoft.Extensions.Logging;
using Orleans;
using Orleans.Runtime;
using SemCache.Cluster.Placement;
using SemCache.Cluster.Replication;

namespace SemCache.Cluster.Grains;

internal sealed partial class PartitionGroupGrain
{
    /// <summary>
    /// The current replica set, discovering and (re)building it when there is none or when
    /// <paramref name="failed"/> is the current one. Null when no silo holds a copy and the caller only
    /// reads (a group that was never stored into stays unconfigured: its lookups are plain misses).
    /// </summary>
    private async Task<GroupConfig?> ConfigurationAsync(bool forWrite, GroupConfig? failed)
    {
        var current = _config;
        if (current is not null && current != failed) { return current; }
        if (current is null && _confirmedEmpty && !forWrite) { return null; }

        // Grain turns run one at a time, so one rebuild is shared by every call that arrives meanwhile.
        if (_building is not { IsCompleted: false })
        {
            _building = RebuildAsync(forWrite);
        }

        return await _building.ConfigureAwait(true);
    }

    private async Task<GroupConfig?> RebuildAsync(bool forWrite)
    {
        _config = null;
        var built = await BuildAsync(forWrite).ConfigureAwait(true);
        _config = built;
        _confirmedEmpty = built is null;
        return built;
    }

    private async Task<GroupConfig?> BuildAsync(bool forWrite)
    {
        var group = Group;
        var silos = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => m.SiloAddress)
            .ToList();
        var copies = silos.Select(Copy).ToList();
        var statuses = await Task.WhenAll(copies.Select(c => TryAsync(c.GetStatusAsync(group)))).ConfigureAwait(true);
        var suspects = _suspects.ToHashSet(StringComparer.Ordinal);
        _suspects.Clear();
        var holding = copies.Zip(statuses).Where(p => p.Second is { HasCopy: true }).Select(p => (Copy: p.First, Status: p.Second!)).ToList();
        if (holding.Count == 0 && !forWrite) { return null; }

        var newestEpoch = holding.Count == 0 ? 0 : holding.Max(h => h.Status.Epoch);
        var epoch = Math.Max(newestEpoch, _highestEpochSeen) + 1;
        _highestEpochSeen = epoch;
        _sequence = 0;

        // Copies of the newest configuration hold every acknowledged write (each was applied to all of
        // its members before it was acknowledged); older ones may have missed removals: they go.
        var members = new List<(ICopyOps Copy, long Joined)>();
        // Never all of them, though: a suspect copy of the newest epoch beats no copy at all.
        var newest = holding.Where(h => h.Status.Epoch == newestEpoch).ToList();
        if (newest.All(h => suspects.Contains(h.Copy.Silo))) { suspects.Clear(); }
        foreach (var (copy, status) in newest.Where(h => !suspects.Contains(h.Copy.Silo)))
        {
            var joined = await TryAsync(copy.JoinAsync(group, epoch, status.JoinedEpoch, fresh: false)).ConfigureAwait(true);
            if (joined is not null) { members.Add((copy, joined.JoinedEpoch)); }
        }

        var ranked = GroupPlacement.Rank(group, silos).Select(Copy).ToList();
        var local = ranked.FirstOrDefault(c => c.Silo == localCopy.Silo);
        if (local is not null)
        {
            ranked.Remove(local);
            ranked.Insert(0, local);
        }

        foreach (var candidate in ranked)
        {
            if (members.Count >= Replicas) { break; }
            if (members.Any(m => m.Copy.Silo == candidate.Silo) || suspects.Contains(candidate.Silo)) { continue; }
            var joined = await TryAsync(candidate.JoinAsync(group, epoch, epoch, fresh: true)).ConfigureAwait(true);
            if (joined is not null) { members.Add((candidate, joined.JoinedEpoch)); }
        }

        foreach (var (copy, _) in holding.Where(h => h.Status.Epoch != newestEpoch || suspects.Contains(h.Copy.Silo)))
        {
            await TryAsync(DropAsync(copy, group, epoch)).ConfigureAwait(true);
        }

        if (members.Count == 0) { return null; }
        var ordered = members
            .OrderBy(m => m.Joined)
            .ThenBy(m => m.Copy.Silo == localCopy.Silo ? 0 : 1)
            .Select(m => m.Copy)
            .ToArray();
        if (logger.IsEnabled(LogLevel.Information))
        {
            var names = string.Join(", ", ordered.Select(m => m.Silo));
            LogConfigured(logger, group, epoch, names);
        }
        return new GroupConfig(epoch, ordered);
    }

    private static async Task<string> DropAsync(ICopyOps copy, string group, long epoch)
    {
        await copy.DropAsync(group, epoch).ConfigureAwait(true);
        return copy.Silo;
    }

    private ICopyOps Copy(SiloAddress silo)
    {
        var name = silo.ToParsableString();
        return name == localCopy.Silo ? localCopy : new RemoteCopy(name, GrainFactory.GetGrain<ISiloCopyGrain>(name), counters);
    }

    /// <summary>A call to a copy that may be on a dead silo: its failure means "not available", within a bound.</summary>
    private async Task<T?> TryAsync<T>(Task<T> call)
        where T : class
    {
        try
        {
            return await call.WaitAsync(StatusTimeout).ConfigureAwait(true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogMemberFailed(logger, e, Group, "(discovery)");
            _lastFailure = e;
            return null;
        }
    }
}
