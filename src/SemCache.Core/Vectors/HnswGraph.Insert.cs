using System.Runtime.CompilerServices;
namespace SemCache.Vectors;

internal sealed unsafe partial class HnswGraph
{
    /// <summary>
    /// Links the nodes <paramref name="firstId"/> to <paramref name="endId"/> (exclusive) that are not tombstones,
    /// on up to <paramref name="threads"/> threads. <paramref name="owed"/> says whether they were appended while
    /// linking (each settles its debt, see <see cref="LinkAppended"/>) or are a build's backlog. Appends and searches
    /// may run meanwhile; it returns early, leaving the rest unlinked, once the graph is retired or
    /// <paramref name="cancellation"/> fires.
    /// </summary>
    public void LinkRange(int firstId, int endId, int threads, bool owed, CancellationToken cancellation = default)
    {
        void One(int id)
        {
            if (owed)
            {
                LinkAppended((uint)id);
            }
            else if (!_retired && !cancellation.IsCancellationRequested && !IsDeleted((uint)id))
            {
                Link((uint)id);
            }
        }

        if (threads <= 1 || endId - firstId < 1024)
        {
            for (var id = firstId; id < endId; id++)
            {
                One(id);
            }

            return;
        }

        // Link the first nodes alone so that the parallel phase starts from a connected core.
        var core = Math.Min(endId, firstId + 256);
        for (var id = firstId; id < core; id++)
        {
            One(id);
        }

        Parallel.For(core, endId, new ParallelOptions { MaxDegreeOfParallelism = threads }, One);
    }

    /// <summary>Links a node appended while <see cref="IsLinking"/> and settles the debt its append recorded.</summary>
    public void LinkAppended(uint id)
    {
        try
        {
            if (!IsDeleted(id))
            {
                Link(id);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _pendingLinks);
        }
    }

    /// <summary>
    /// Inserts an appended node into the graph (HNSW paper, algorithm 1 with the heuristic of algorithm 4).
    /// Safe to run on several threads for different nodes, and beside appends; see the class remarks for the
    /// locking. Does nothing once the graph is retired.
    /// </summary>
    public void Link(uint id)
    {
        _arenaGate.EnterShared();
        try
        {
            if (!_retired)
            {
                LinkCore(_arena, id);
            }
        }
        finally
        {
            _arenaGate.ExitShared();
        }
    }

    // Fully optimised at first call, not tier 0 then tier 1: a partition that crosses into HNSW starts calling the
    // link and search loops only then, and at tier 0 they made the next ~1,000 stores 2-3x slower (the probe's
    // crossing tail: p99/median 3.1-3.5x before, 2.6-3.4x after); search speed unchanged (benchmarks/README.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LinkCore(VectorArena arena, uint id)
    {
        var scratch = SearchScratch.Current;
        scratch.EnsureWork(Math.Max(_efConstruction, _maxM0) + 1);
        var level = (int)arena.Levels[id];
        var v = arena.Vector(id);

        var entry = Volatile.Read(ref _entry);
        if (entry < 0)
        {
            lock (_entryGate)
            {
                entry = _entry;
                if (entry < 0)
                {
                    Volatile.Write(ref _entry, PackEntry(id, level));
                    return;
                }
            }
        }

        var holdsGate = false;
        if (level > (int)(entry >> 32))
        {
            _entryGate.Enter();
            holdsGate = true;
            entry = _entry;
            if (level <= (int)(entry >> 32))
            {
                _entryGate.Exit();
                holdsGate = false;
            }
        }

        try
        {
            var top = (int)(entry >> 32);
            var current = (uint)entry;
            // Links are built on exact float32 with the managed kernel whatever the encoding and kernels: the graph's
            // shape does not depend on either.
            var exact = new ManagedFloat32(v, arena.Vectors, _stride, _stride);
            var capacity = (uint)arena.Capacity;
            var similarity = Sim(v, arena.Vector(current));
            for (var l = top; l > level; l--)
            {
                current = Greedy(ref exact, arena, current, ref similarity, l, capacity);
            }

            Span<Candidate> chosen = stackalloc Candidate[_m];
            for (var l = Math.Min(level, top); l >= 0; l--)
            {
                SearchLayer(ref exact, arena, current, similarity, _efConstruction, l, scratch, skipDeleted: false, capacity);
                var found = scratch.Found;
                var work = scratch.Work;
                var n = 0;
                while (found.Count > 0)
                {
                    var c = found.Pop();
                    if (c.Id != id)
                    {
                        work[n++] = c;
                    }
                }

                // The min-heap pops worst first; the selection wants best first.
                work.AsSpan(0, n).Reverse();
                var selected = SelectNeighbours(arena, work.AsSpan(0, n), _m, scratch.Selected);
                scratch.Selected.AsSpan(0, selected).CopyTo(chosen);
                for (var i = 0; i < selected; i++)
                {
                    AddLink(arena, id, chosen[i].Id, chosen[i].Similarity, l, scratch);
                }

                for (var i = 0; i < selected; i++)
                {
                    AddLink(arena, chosen[i].Id, id, chosen[i].Similarity, l, scratch);
                }

                if (selected > 0)
                {
                    current = chosen[0].Id;
                    similarity = chosen[0].Similarity;
                }
            }

            if (holdsGate)
            {
                Volatile.Write(ref _entry, PackEntry(id, level));
            }
        }
        finally
        {
            if (holdsGate)
            {
                _entryGate.Exit();
            }
        }
    }

    /// <summary>
    /// The neighbour-selection heuristic: walking candidates best first, keep one only if it is closer to the base
    /// node than to every neighbour already kept, which spreads links across directions. With no more candidates
    /// than slots, all are kept.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int SelectNeighbours(VectorArena arena, ReadOnlySpan<Candidate> sortedBestFirst, int max, Candidate[] output)
    {
        if (sortedBestFirst.Length <= max)
        {
            sortedBestFirst.CopyTo(output);
            return sortedBestFirst.Length;
        }

        var kept = 0;
        foreach (var candidate in sortedBestFirst)
        {
            if (kept == max)
            {
                break;
            }

            var vector = arena.Vector(candidate.Id);
            var diverse = true;
            for (var r = 0; r < kept; r++)
            {
                if (Sim(vector, arena.Vector(output[r].Id)) > candidate.Similarity)
                {
                    diverse = false;
                    break;
                }
            }

            if (diverse)
            {
                output[kept++] = candidate;
            }
        }

        return kept;
    }

    /// <summary>Adds a directed link under the node's lock; a full list is re-selected with the heuristic.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddLink(VectorArena arena, uint node, uint target, float similarity, int level, SearchScratch scratch)
    {
        var record = Record(arena, node, level);
        if (record.IsEmpty)
        {
            return;
        }

        ref var gate = ref arena.Locks[node];
        SpinAcquire(ref gate);
        try
        {
            var max = record.Length - 1;
            var count = Math.Min((int)record[0], max);
            for (var j = 1; j <= count; j++)
            {
                if (record[j] == target)
                {
                    return;
                }
            }

            if (count < max)
            {
                record[1 + count] = target;
                Volatile.Write(ref record[0], (uint)(count + 1));
                return;
            }

            var work = scratch.Work;
            var nodeVector = arena.Vector(node);
            for (var j = 0; j < count; j++)
            {
                var id = record[1 + j];
                work[j] = new Candidate(Sim(nodeVector, arena.Vector(id)), id);
            }

            work[count] = new Candidate(similarity, target);
            var candidates = work.AsSpan(0, count + 1);
            BestFirst.Sort(candidates);
            var kept = SelectNeighbours(arena, candidates, max, scratch.Selected);
            for (var j = 0; j < kept; j++)
            {
                record[1 + j] = scratch.Selected[j].Id;
            }

            Volatile.Write(ref record[0], (uint)kept);
        }
        finally
        {
            Volatile.Write(ref gate, 0);
        }
    }

    private static void SpinAcquire(ref int gate)
    {
        if (Interlocked.CompareExchange(ref gate, 1, 0) == 0)
        {
            return;
        }

        var spinner = default(SpinWait);
        do
        {
            spinner.SpinOnce();
        }
        while (Volatile.Read(ref gate) != 0 || Interlocked.CompareExchange(ref gate, 1, 0) != 0);
    }
}
