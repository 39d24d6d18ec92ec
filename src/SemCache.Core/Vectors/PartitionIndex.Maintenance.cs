namespace SemCache.Vectors;

/// <summary>
/// Background maintenance: promotion from flat scan to graph, and rebuilds that compact tombstones away. At most one
/// runs per index at a time; each is started under the index's lock by the write that makes it worthwhile, and
/// none ever holds that lock for more than a bounded, small step.
/// </summary>
internal sealed partial class PartitionIndex
{
    /// <summary>
    /// Nodes a rebuild may still copy while holding the index's lock at the hand-over. Copying is a memcpy of one
    /// vector per node (microseconds for hundreds), while writers each pay a whole link per node, so the copy rounds
    /// outside the lock shrink the remainder below this within a few rounds.
    /// </summary>
    private const int HandOverBatch = 256;

    /// <summary>Copy rounds outside the lock before the hand-over copies the rest under it regardless.</summary>
    private const int MaxCopyRounds = 16;

    private Successor? _successor;
    private Task? _maintenance;

    /// <summary>
    /// Test hook: while set and not signalled, a started promotion or rebuild waits before linking its backlog, and a
    /// recalibration before reading the vectors, so a test can observe (and write to) the index in exactly the state
    /// where both generations or modes coexist, or where codes are still due.
    /// </summary>
    internal ManualResetEventSlim? HoldMaintenanceForTests { get; set; }

    /// <summary>True while a promotion or rebuild is running.</summary>
    internal bool IsMaintaining
    {
        get
        {
            lock (_gate) { return _maintenance is not null; }
        }
    }

    /// <summary>The exception that stopped background maintenance, if one did; the index stays correct (exact scans, tombstones kept).</summary>
    internal Exception? MaintenanceFault { get; private set; }

    /// <summary>Waits until no maintenance is running or scheduled (tests and benchmarks); rethrows a maintenance fault.</summary>
    internal void WaitForMaintenance()
    {
        while (true)
        {
            Task? running;
            lock (_gate)
            {
                running = _maintenance;
                if (running is null)
                {
                    if (MaintenanceFault is { } fault)
                    {
                        throw new InvalidOperationException("Background index maintenance failed.", fault);
                    }

                    return;
                }
            }

            try
            {
                running.Wait();
            }
            catch (AggregateException)
            {
                // Surfaced through MaintenanceFault on the next pass.
            }
        }
    }

    /// <summary>Starts the maintenance the index needs, if none is running. Caller holds <c>_gate</c>.</summary>
    private void ScheduleMaintenance()
    {
        if (_disposed || _maintenance is not null || MaintenanceFault is not null)
        {
            return;
        }

        var graph = _graph;
        if (!graph.IsLinking && _ids.Count > Options.FlatSearchLimit)
        {
            // From here on every insert links its own node; the task links the backlog appended before, and
            // searches keep scanning (exactly) until it is done.
            graph.BeginLinking();
            var backlog = graph.NodeCount;
            _maintenance = Task.Run(() => RunMaintenance(() => Promote(graph, backlog, threads: 1), completion: null));
            return;
        }

        var tombstones = graph.DeletedCount;
        if (tombstones > 0 && tombstones > Options.TombstoneRebuildFraction * graph.NodeCount)
        {
            // A rebuild calibrates its new generation's codes itself.
            _maintenance = Task.Run(() => RunMaintenance(() => Rebuild(graph), completion: null));
            return;
        }

        if (graph.CodesDue)
        {
            // The quantiser's ranges follow the data: recalibrated off the write path each time the graph doubles.
            _maintenance = Task.Run(() => RunMaintenance(() => RefreshCodes(graph), completion: null));
        }
    }

    /// <summary>
    /// Calibrates and encodes a new code arena for <paramref name="graph"/> (the current generation or a rebuild's
    /// successor) and publishes it: the whole pass outside the lock, then rounds that encode the nodes appended
    /// meanwhile, then the last few and the swap under the lock. Nothing for a float32 graph or one not linking.
    /// </summary>
    private void RefreshCodes(HnswGraph graph)
    {
        if (graph.Encoding == VectorEncoding.Float32 || !graph.IsLinking)
        {
            return;
        }

        if (!WaitIfHeld())
        {
            return;
        }

        var codes = graph.PrepareCodes(out var encoded);
        if (codes is null)
        {
            return;
        }

        var published = false;
        VectorArena? moved = null;
        try
        {
            for (var round = 0; round < MaxCopyRounds && graph.NodeCount - encoded > HandOverBatch; round++)
            {
                if (_stopping.IsCancellationRequested || !graph.CatchUpCodes(ref codes, ref encoded))
                {
                    return;
                }
            }

            // A first quantisation also moves float32 to its mapped file: the bulk of that copy here, off the lock.
            moved = graph.PrepareVectorMove();
            lock (_gate)
            {
                if (_disposed || graph.IsRetired)
                {
                    return;
                }

                graph.PublishCodes(codes, encoded, moved);
                published = true;
            }
        }
        finally
        {
            if (!published)
            {
                codes.Dispose();
                moved?.Dispose();
            }
        }
    }

    /// <summary>Runs one maintenance step, then clears the slot and schedules whatever became worthwhile meanwhile.</summary>
    private void RunMaintenance(Action work, TaskCompletionSource? completion)
    {
        Exception? fault = null;
        try
        {
            work();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not rethrown into the thread pool: the index stays correct without maintenance (searches scan or skip
            // tombstones), so the fault is recorded and further maintenance stops rather than retrying per write.
            fault = e;
        }
        finally
        {
            lock (_gate)
            {
                MaintenanceFault ??= fault;
                _maintenance = null;
                ScheduleMaintenance();
            }

            completion?.SetResult();
        }
    }

    /// <summary>Links the nodes appended before linking began, then switches searches to the graph.</summary>
    private void Promote(HnswGraph graph, int backlog, int threads)
    {
        if (!WaitIfHeld())
        {
            return;
        }

        graph.LinkRange(0, backlog, threads, owed: false, _stopping.Token);

        // Before the switch, so that the first graph search of a quantised partition already runs on codes.
        RefreshCodes(graph);
        lock (_gate)
        {
            if (!_disposed && ReferenceEquals(_graph, graph))
            {
                // Every node appended since BeginLinking is linked by its writer before its Add returns, so no
                // vector that was added is missing from the graph searches now use.
                graph.MarkLinked();
            }
        }
    }

    /// <summary>
    /// Builds a compact generation without the tombstones of <paramref name="old"/>: copies the live vectors in
    /// rounds outside the lock, hands over under the lock (the rest of the copy, the key map, and from then on
    /// every write goes to both generations), links the new one outside the lock, and swaps it in.
    /// </summary>
    private void Rebuild(HnswGraph old)
    {
        HnswGraph next;
        bool link;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            link = old.IsLinking || _ids.Count > Options.FlatSearchLimit;
            next = NewGraph(_ids.Count);
        }

        var handedOver = false;
        try
        {
            // map[oldId] = newId + 1 for every copied node; 0 where the node was a tombstone when copied.
            var map = new uint[Math.Max(old.NodeCount, 16)];
            var copied = 0;
            int backlog;
            for (var round = 0; ; round++)
            {
                int end;
                lock (_gate)
                {
                    if (_disposed)
                    {
                        return;
                    }

                    end = old.NodeCount;
                    if (end - copied <= HandOverBatch || round >= MaxCopyRounds)
                    {
                        map = old.CopyLiveTo(next, copied, end, map);
                        backlog = HandOver(old, next, map, link);
                        handedOver = true;
                        break;
                    }
                }

                map = old.CopyLiveTo(next, copied, end, map);
                copied = end;
            }

            if (!WaitIfHeld())
            {
                return;
            }

            if (link)
            {
                next.LinkRange(0, backlog, threads: 1, owed: false, _stopping.Token);
                RefreshCodes(next);
            }

            lock (_gate)
            {
                if (_disposed)
                {
                    // Dispose retires the successor along with the current generation.
                    return;
                }

                if (link)
                {
                    next.MarkLinked();
                }

                _ids = _successor!.Ids;
                _graph = next;
                _successor = null;
                Volatile.Write(ref _live, _ids.Count);
            }

            // After the swap: waits for writers still linking into the old generation, then drops its memory once the
            // last search that pinned it returns.
            old.Dispose();
        }
        finally
        {
            if (!handedOver)
            {
                next.Dispose();
            }
        }
    }

    /// <summary>
    /// Makes <paramref name="next"/> the successor, under the lock: its key map is derived from the live map (so
    /// removals and replacements made during the copy are honoured), copied nodes no key points at become
    /// tombstones, and from now on <see cref="Add"/> and <see cref="Remove"/> write to both generations. Returns the
    /// number of nodes the builder must link.
    /// </summary>
    private int HandOver(HnswGraph old, HnswGraph next, uint[] map, bool link)
    {
        var ids = new Dictionary<long, uint>(_ids.Count);
        foreach (var (key, oldId) in _ids)
        {
            // A live node is never a tombstone (deletion is final per node), so it was copied; the fallback only
            // keeps the maps consistent should that ever not hold.
            ids[key] = map[oldId] != 0 ? map[oldId] - 1 : next.Append(key, old.VectorOf(oldId));
        }

        var referenced = new bool[next.NodeCount];
        foreach (var id in ids.Values)
        {
            referenced[id] = true;
        }

        for (var i = 0; i < referenced.Length; i++)
        {
            if (!referenced[i])
            {
                next.MarkDeleted((uint)i);
            }
        }

        if (link)
        {
            next.BeginLinking();
        }

        _successor = new Successor(next, ids);
        return next.NodeCount;
    }

    /// <summary>Blocks while <see cref="HoldMaintenanceForTests"/> holds; false when the index was disposed meanwhile.</summary>
    private bool WaitIfHeld()
    {
        try
        {
            HoldMaintenanceForTests?.Wait(_stopping.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>A rebuild's new generation during catch-up: its graph and its own key map.</summary>
    private sealed class Successor(HnswGraph graph, Dictionary<long, uint> ids)
    {
        public HnswGraph Graph { get; } = graph;

        public Dictionary<long, uint> Ids { get; } = ids;
    }
}
