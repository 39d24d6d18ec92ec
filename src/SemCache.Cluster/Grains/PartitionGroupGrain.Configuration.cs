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
    /// With <paramref name="rebalance"/>, a rebuild puts the copies on the silos that rank first for the group.
    /// </summary>
    private async Task<GroupConfig?> ConfigurationAsync(bool forWrite, GroupConfig? failed, bool rebalance = false)
    {
        var current = _config;
        if (current is not null && current != failed) { return current; }
        if (current is null && _confirmedEmpty && !forWrite) { return null; }

        // Grain turns run one at a time, so one rebuild is shared by every call that arrives meanwhile.
        if (_building is not { IsCompleted: false })
        {
            _building = RebuildAsync(forWrite, rebalance);
        }

        return await _building.ConfigureAwait(true);
    }

    private async Task<GroupConfig?> RebuildAsync(bool forWrite, bool rebalance)
    {
        _config = null;
        var built = await BuildAsync(forWrite, rebalance).ConfigureAwait(true);
        _config = built;
        // Copies exist but another coordinator holds them: not empty, only not ours (yet).
        _confirmedEmpty = built is null && !_contended;
        return built;
    }

    /// <summary>
    /// Builds a configuration under a new epoch. While it runs, every call of the group waits for it
    /// (<see cref="ConfigurationAsync"/>): no write reaches any copy until the new set is complete, so a new
    /// member filled from a survivor cannot miss a write or a removal made during the fill.
    /// </summary>
    private async Task<GroupConfig?> BuildAsync(bool forWrite, bool rebalance)
    {
        var group = Group;
        var silos = ActiveSilos();
        var copies = silos.Select(Copy).ToList();
        var statuses = await Task.WhenAll(copies.Select(c => TryAsync(c.GetStatusAsync(group)))).ConfigureAwait(true);
        var suspects = _suspects.ToHashSet(StringComparer.Ordinal);
        _suspects.Clear();
        var holding = copies.Zip(statuses).Where(p => p.Second is { HasCopy: true }).Select(p => (Copy: p.First, Status: p.Second!)).ToList();

        // A silo that did not answer (dying, or too slow) may hold a copy: it never becomes a fresh member (its
        // join would empty that copy), and with no copy seen anywhere the group is not taken for empty.
        var unanswered = copies.Zip(statuses).Where(p => p.Second is null).Select(p => p.First.Silo).ToHashSet(StringComparer.Ordinal);
        _contended = holding.Count == 0 && unanswered.Count > 0;
        if (holding.Count == 0 && (!forWrite || _contended)) { return null; }

        var newestEpoch = holding.Count == 0 ? 0 : holding.Max(h => h.Status.Epoch);
        var epoch = Math.Max(newestEpoch, _highestEpochSeen) + 1;
        _highestEpochSeen = epoch;
        _sequence = 0;

        // Copies of the newest configuration hold every acknowledged write (each was applied to all of
        // its members before it was acknowledged); older ones may have missed removals: they go.
        // Only filled copies count: one left unfilled (its fill or its join timed out, or another coordinator is
        // still filling it) may be empty or half-filled, whatever its epoch says. It is emptied and filled anew.
        var members = new List<(ICopyOps Copy, long Joined)>();
        var newest = holding.Where(h => h.Status.Epoch == newestEpoch && h.Status.Filled).ToList();
        if (newest.Count == 0 && holding.Count > 0 && unanswered.Count > 0)
        {
            // Only unfilled copies answered: a filled one of the newest configuration may be on a silo that did not.
            _contended = true;
            return null;
        }

        // Never all of them, though: a suspect copy of the newest epoch beats no copy at all.
        if (newest.All(h => suspects.Contains(h.Copy.Silo))) { suspects.Clear(); }
        foreach (var (copy, status) in newest.Where(h => !suspects.Contains(h.Copy.Silo)))
        {
            var joined = await TryAsync(copy.JoinAsync(group, epoch, status.JoinedEpoch, fresh: false)).ConfigureAwait(true);
            if (joined is not null) { members.Add((copy, joined.JoinedEpoch)); }
        }

        // The survivors, now fenced to this epoch: whatever they hold, a new member is filled with before it counts.
        var sources = members.Select(m => m.Copy).ToList();
        _contended = newest.Count > 0 && sources.Count == 0;
        if (_contended)
        {
            // Copies of the newest configuration exist but none joined this one (another activation of the group
            // took them, or they did not answer): empty fresh members would later pass for full copies. Nothing
            // is configured; the next call tries again.
            return null;
        }

        var ranked = GroupPlacement.Rank(group, silos).Select(Copy).ToList();
        var desired = ranked.Take(Replicas).Select(c => c.Silo).ToHashSet(StringComparer.Ordinal);
        int Placed() => members.Count(m => desired.Contains(m.Copy.Silo));
        if (rebalance)
        {
            // First the silos that rank first for the group, so that its copies follow membership changes.
            foreach (var candidate in ranked.Where(c => desired.Contains(c.Silo)))
            {
                if (Placed() >= Replicas) { break; }
                await AddMemberAsync(candidate).ConfigureAwait(true);
            }
        }
        else
        {
            // Otherwise this silo first, so that reads stay local.
            var local = ranked.FirstOrDefault(c => c.Silo == localCopy.Silo);
            if (local is not null)
            {
                ranked.Remove(local);
                ranked.Insert(0, local);
            }
        }

        foreach (var candidate in ranked)
        {
            if (members.Count >= Replicas) { break; }
            await AddMemberAsync(candidate).ConfigureAwait(true);
        }

        var leaving = new List<ICopyOps>();
        if (rebalance && Placed() >= Replicas)
        {
            // Members on silos that no longer rank first leave only now that a full set holds the data.
            leaving.AddRange(members.Where(m => !desired.Contains(m.Copy.Silo)).Select(m => m.Copy));
            members.RemoveAll(m => !desired.Contains(m.Copy.Silo));
        }

        // Every copy found that is not a member of this configuration goes: older epochs (which may have missed
        // removals), suspects, unfilled copies, and copies of the newest epoch whose join did not answer in time
        // (applied or not: kept, one would hold this epoch's number without this epoch's writes). A copy that
        // was re-joined fresh and filled is a member and stays.
        leaving.AddRange(holding.Select(h => h.Copy).Where(c => members.All(m => m.Copy.Silo != c.Silo) && leaving.All(l => l.Silo != c.Silo)));

        foreach (var copy in leaving)
        {
            // Drop below epoch + 1: a copy of this epoch goes too; one a newer coordinator took already stays.
            await TryAsync(DropAsync(copy, group, epoch + 1)).ConfigureAwait(true);
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

        async Task AddMemberAsync(ICopyOps candidate)
        {
            if (members.Any(m => m.Copy.Silo == candidate.Silo) || suspects.Contains(candidate.Silo) || unanswered.Contains(candidate.Silo)) { return; }
            var joined = await TryAsync(candidate.JoinAsync(group, epoch, epoch, fresh: true)).ConfigureAwait(true);
            if (joined is null) { return; }
            var filled = (sources.Count == 0 || await FillAsync(candidate, sources, epoch).ConfigureAwait(true))
                && await TryAsync(MarkFilledAsync(candidate, group, epoch)).ConfigureAwait(true) is not null;
            if (!filled)
            {
                // Not filled: it must not count as a copy. Dropped; should the drop not arrive, the copy stays
                // unfilled, and a later discovery empties it rather than taking it for a full one.
                await TryAsync(DropAsync(candidate, group, epoch + 1)).ConfigureAwait(true);
                return;
            }

            members.Add((candidate, joined.JoinedEpoch));
        }
    }

    /// <summary>
    /// Copies every live entry of the group from one of <paramref name="sources"/> (each holds every
    /// acknowledged write) into the new member <paramref name="target"/>, page by page. Both are fenced to
    /// <paramref name="epoch"/>: a newer coordinator taking either stops the fill. A source that fails mid-way
    /// is replaced by the next (the import skips entries already copied). False when no source could finish.
    /// </summary>
    private async Task<bool> FillAsync(ICopyOps target, IReadOnlyList<ICopyOps> sources, long epoch)
    {
        var pageSize = options.Value.TransferPageSize;
        foreach (var source in sources)
        {
            long copied = 0;
            try
            {
                long after = 0;
                while (true)
                {
                    var page = await source.ExportAsync(Group, epoch, after, pageSize).ConfigureAwait(true);
                    if (page.Entries.Length > 0) { copied += await target.ImportAsync(Group, epoch, page).ConfigureAwait(true); }
                    if (page.Done) { break; }
                    after = page.NextAfterId;
                }

                counters.CopyFilled(copied);
                LogFilled(logger, Group, target.Silo, source.Silo, copied);
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogMemberFailed(logger, e, Group, source.Silo + " -> " + target.Silo);
                _lastFailure = e;
                if (e is StaleGroupException) { return false; }
            }
        }

        return false;
    }

    private List<SiloAddress> ActiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress)];

    private static async Task<string> DropAsync(ICopyOps copy, string group, long epoch)
    {
        await copy.DropAsync(group, epoch).ConfigureAwait(true);
        return copy.Silo;
    }

    private static async Task<string> MarkFilledAsync(ICopyOps copy, string group, long epoch)
    {
        await copy.MarkFilledAsync(group, epoch).ConfigureAwait(true);
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
