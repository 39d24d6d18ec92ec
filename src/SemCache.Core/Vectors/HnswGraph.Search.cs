using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using SemCache.Vectors.Native;
using SemCache.Vectors.Quantization;

namespace SemCache.Vectors;

/// <summary>
/// Searches: the exact flat scan of an unlinked graph, and one best-first graph search for every encoding and kernel
/// family. The loop (<see cref="Greedy{TBatch}"/> on the upper levels, <see cref="SearchLayer{TBatch}"/>) is generic over
/// an <see cref="IBatchSimilarity"/> struct: it gathers each expanded node's unvisited neighbours and scores them as one
/// batch (one native call per node when the native kernels serve), so float32, int8 and binary share it, and so do
/// inserts, which search on exact float32.
/// </summary>
internal sealed unsafe partial class HnswGraph
{
    /// <summary>Rows scored per call in a flat scan: large enough to amortise a call, small enough for the stack.</summary>
    private const int ScanChunk = 256;

    /// <summary>
    /// Searches this generation: the graph once <see cref="IsLinked"/>, an exact scan of every live node before.
    /// Fills <paramref name="results"/> best first and sets <paramref name="count"/>. False when the graph was
    /// retired and its memory freed: the caller searches the generation that replaced it.
    /// </summary>
    public bool TrySearch(ReadOnlySpan<float> query, Span<VectorHit> results, int ef, out int count)
    {
        count = 0;
        var linked = _linked;

        // Entry and count before the arena: the entry node was appended to, and a published count never exceeds the
        // capacity of, an arena published no later than the one pinned next.
        var entry = Volatile.Read(ref _entry);
        var nodes = Volatile.Read(ref _count);
        if (!TryPin(out var arena))
        {
            return false;
        }

        // Codes after the arena: any code arena published by then covers every node the entry and count name.
        var codes = linked ? PinCodes() : null;
        try
        {
            count = linked ? SearchGraph(arena, codes, entry, query, results, ef) : ScanFlat(arena, nodes, query, results);
            return true;
        }
        finally
        {
            codes?.Release();
            arena.Release();
        }
    }

    /// <summary>Exact search: scans the first <paramref name="count"/> nodes in chunks of consecutive rows, one scorer call each, skipping tombstones.</summary>
    private int ScanFlat(VectorArena arena, int count, ReadOnlySpan<float> query, Span<VectorHit> results)
    {
        if (results.IsEmpty)
        {
            return 0;
        }

        count = Math.Min(count, arena.Capacity);
        var q = SearchScratch.Current.PrepareQuery(query, _stride);
        var checkDeleted = Volatile.Read(ref _deleted) > 0;
        var deleted = arena.Deleted;
        var scores = stackalloc float[ScanChunk];
        var found = 0;
        var k = results.Length;
        for (var first = 0; first < count; first += ScanChunk)
        {
            var n = Math.Min(ScanChunk, count - first);
            _scorer.DotF32(q, arena.Vector((uint)first), n, _dimensions, _stride, scores);
            for (var j = 0; j < n; j++)
            {
                var id = first + j;
                var s = scores[j];
                if ((checkDeleted && deleted[id] != 0) || (found == k && !(s > results[k - 1].Similarity)))
                {
                    continue;
                }

                var at = found < k ? found++ : k - 1;
                while (at > 0 && results[at - 1].Similarity < s)
                {
                    results[at] = results[at - 1];
                    at--;
                }

                results[at] = new VectorHit(arena.Keys[id], s);
            }
        }

        return found;
    }

    /// <summary>
    /// Best-first search of the graph: on the codes when the graph has them (then the found set is re-ranked with
    /// float32), else on float32. Both arenas are pinned by the caller. Fills <paramref name="results"/> best first.
    /// </summary>
    private int SearchGraph(VectorArena arena, CodeArena? codes, long entry, ReadOnlySpan<float> query, Span<VectorHit> results, int ef)
    {
        var capacity = (uint)(codes is null ? arena.Capacity : Math.Min(arena.Capacity, codes.Capacity));
        if (results.IsEmpty || entry < 0 || (uint)entry >= capacity)
        {
            return 0;
        }

        var scratch = SearchScratch.Current;
        var q = scratch.PrepareQuery(query, _stride);
        ef = Math.Max(ef, results.Length);
        var skipDeleted = Volatile.Read(ref _deleted) > 0;
        if (codes is null)
        {
            if (_scorer is NativeVectorScorer)
            {
                var exact = new Float32Batch(_scorer, q, arena.Vectors, _dimensions, _stride);
                Traverse(ref exact, arena, entry, ef, scratch, skipDeleted, capacity);
            }
            else
            {
                var exact = new ManagedFloat32(q, arena.Vectors, _dimensions, _stride);
                Traverse(ref exact, arena, entry, ef, scratch, skipDeleted, capacity);
            }
        }
        else if (codes.Int8 is { } int8)
        {
            var code = EncodedQuery.Buffer(codes.CodeBytes);
            int8.PrepareQuery(q, (sbyte*)code, out var factor, out var offset);
            var batch = new Int8Batch(_scorer, (sbyte*)code, (sbyte*)codes.Codes, _dimensions, codes.CodeBytes, factor, offset);
            Traverse(ref batch, arena, entry, ef, scratch, skipDeleted, capacity);
        }
        else
        {
            ef *= BinaryOversampling;
            var binary = codes.Binary!;
            var code = EncodedQuery.Buffer(codes.CodeBytes);
            binary.Encode(q, (ulong*)code);
            var batch = new BinaryBatch(_scorer, binary, (ulong*)code, (ulong*)codes.Codes, binary.Words);
            Traverse(ref batch, arena, entry, ef, scratch, skipDeleted, capacity);
        }

        var found = scratch.Found;
        var n = found.Count;
        scratch.EnsureWork(n);
        var work = scratch.Work;
        for (var i = n - 1; i >= 0; i--)
        {
            work[i] = found.Pop();
        }

        if (codes is not null)
        {
            Rerank(arena, q, work.AsSpan(0, n));
        }

        var count = Math.Min(n, results.Length);
        for (var i = 0; i < count; i++)
        {
            results[i] = new VectorHit(arena.Keys[work[i].Id], work[i].Similarity);
        }

        return count;
    }

    /// <summary>Replaces the code-estimated similarities by exact float32 ones, in one gathered call, and sorts best first.</summary>
    private void Rerank(VectorArena arena, float* q, Span<Candidate> candidates)
    {
        // ef is at most 4096, times the binary oversampling: large lists rent instead of using the stack.
        var n = candidates.Length;
        uint[]? rentedIds = null;
        float[]? rentedScores = null;
        var ids = n <= 512 ? stackalloc uint[n] : (rentedIds = ArrayPool<uint>.Shared.Rent(n)).AsSpan(0, n);
        var exact = n <= 512 ? stackalloc float[n] : (rentedScores = ArrayPool<float>.Shared.Rent(n)).AsSpan(0, n);
        for (var i = 0; i < n; i++)
        {
            ids[i] = candidates[i].Id;
        }

        fixed (uint* pIds = ids)
        fixed (float* pExact = exact)
        {
            _scorer.DotF32(q, arena.Vectors, pIds, n, _dimensions, _stride, pExact);
        }

        for (var i = 0; i < n; i++)
        {
            candidates[i].Similarity = exact[i];
        }

        if (rentedIds is not null)
        {
            ArrayPool<uint>.Shared.Return(rentedIds);
            ArrayPool<float>.Shared.Return(rentedScores!);
        }

        BestFirst.Sort(candidates);
    }

    /// <summary>Greedy descent of the upper levels (ef = 1), then the ef-wide search of level 0; leaves the result in Found.</summary>
    private void Traverse<TBatch>(ref TBatch batch, VectorArena arena, long entry, int ef, SearchScratch scratch, bool skipDeleted, uint capacity)
        where TBatch : struct, IBatchSimilarity
    {
        var current = (uint)entry;
        float similarity;
        batch.Score(&current, 1, &similarity);
        for (var level = (int)(entry >> 32); level > 0; level--)
        {
            current = Greedy(ref batch, arena, current, ref similarity, level, capacity);
        }

        SearchLayer(ref batch, arena, current, similarity, ef, 0, scratch, skipDeleted, capacity);
    }

    /// <summary>The link record (count, then ids) of a node at a level; empty when the node does not reach it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<uint> Record(VectorArena arena, uint id, int level)
    {
        if (level == 0)
        {
            return new Span<uint>(arena.Level0(id), arena.LinkStride);
        }

        var upper = arena.Upper[id];
        var offset = (level - 1) * _upperRecord;
        return upper is not null && offset + _upperRecord <= upper.Length
            ? upper.AsSpan(offset, _upperRecord)
            : default;
    }

    /// <summary>Greedy descent on one level (ef = 1, no visited marks): moves to the best neighbour while one improves.</summary>
    // Fully optimised at first call, not tier 0 then tier 1: a partition that crosses into HNSW starts calling the
    // link and search loops only then, and at tier 0 they made the next ~1,000 stores 2-3x slower (the probe's
    // crossing tail: p99/median 3.1-3.5x before, 2.6-3.4x after); search speed unchanged (benchmarks/README.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private uint Greedy<TBatch>(ref TBatch batch, VectorArena arena, uint current, ref float similarity, int level, uint capacity)
        where TBatch : struct, IBatchSimilarity
    {
        SearchScratch.Current.BatchBuffers(_maxM0, out var ids, out var sims);
        bool changed;
        do
        {
            changed = false;
            var record = Record(arena, current, level);
            if (record.IsEmpty)
            {
                break;
            }

            var links = Math.Min((int)Volatile.Read(ref record[0]), Math.Min(record.Length - 1, _maxM0));
            var m = 0;
            for (var j = 1; j <= links; j++)
            {
                var id = record[j];
                if (id < capacity)
                {
                    batch.Prefetch(id);
                    ids[m++] = id;
                }
            }

            if (m == 0)
            {
                break;
            }

            batch.Score(ids, m, sims);
            for (var j = 0; j < m; j++)
            {
                if (sims[j] > similarity)
                {
                    similarity = sims[j];
                    current = ids[j];
                    changed = true;
                }
            }
        }
        while (changed);

        return current;
    }

    /// <summary>
    /// Best-first search of one level from one entry node, leaving up to <paramref name="ef"/> nodes in
    /// <see cref="SearchScratch.Found"/> (worst on top). Each expanded node's unvisited neighbours are scored as one
    /// batch. Tombstones are traversed but, when <paramref name="skipDeleted"/>, never enter the result set.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SearchLayer<TBatch>(ref TBatch batch, VectorArena arena, uint entry, float entrySimilarity, int ef, int level, SearchScratch scratch, bool skipDeleted, uint capacity)
        where TBatch : struct, IBatchSimilarity
    {
        var frontier = scratch.Frontier;
        var found = scratch.Found;
        frontier.Clear();
        found.Clear();
        var visited = scratch.BeginVisit(arena.Capacity, out var generation);
        ref var marks = ref MemoryMarshal.GetArrayDataReference(visited);
        ref var deleted = ref MemoryMarshal.GetArrayDataReference(arena.Deleted);
        var links0 = arena.Links;
        var linkStride = (nuint)arena.LinkStride;
        var recordBytes = (nuint)arena.LinkStride * sizeof(uint);
        scratch.BatchBuffers(_maxM0, out var ids, out var sims);
        Unsafe.Add(ref marks, entry) = generation;
        frontier.Push(entrySimilarity, entry);
        var lower = float.NegativeInfinity;
        if (!skipDeleted || Unsafe.Add(ref deleted, entry) == 0)
        {
            found.Push(entrySimilarity, entry);
            lower = entrySimilarity;
        }

        while (frontier.Count > 0)
        {
            var best = frontier.Top;
            if (best.Similarity < lower && (found.Count >= ef || !skipDeleted))
            {
                break;
            }

            frontier.Pop();
            int m;
            if (level == 0)
            {
                var record = links0 + ((nuint)best.Id * linkStride);
                m = Gather(ref batch, record + 1, Math.Min((int)Volatile.Read(ref *record), _maxM0), capacity, ref marks, generation, ids);
            }
            else
            {
                // Upper records live in managed arrays: pinned while a pointer walks one.
                var upper = arena.Upper[best.Id];
                var offset = (level - 1) * _upperRecord;
                if (upper is null || offset + _upperRecord > upper.Length)
                {
                    continue;
                }

                fixed (uint* record = &upper[offset])
                {
                    m = Gather(ref batch, record + 1, Math.Min((int)Volatile.Read(ref *record), _upperRecord - 1), capacity, ref marks, generation, ids);
                }
            }

            if (m == 0)
            {
                continue;
            }

            batch.Score(ids, m, sims);
            for (var j = 0; j < m; j++)
            {
                var s = sims[j];
                if (s > lower || found.Count < ef)
                {
                    var id = ids[j];
                    frontier.Push(s, id);
                    if (!skipDeleted || Unsafe.Add(ref deleted, id) == 0)
                    {
                        found.Push(s, id);
                        if (found.Count > ef)
                        {
                            found.Pop();
                        }
                    }

                    if (found.Count > 0)
                    {
                        lower = found.Top.Similarity;
                    }
                }
            }

            if (level == 0 && Sse.IsSupported && frontier.Count > 0)
            {
                // The link record of the node expanded next starts loading now (hnswlib does the same): it is a fresh
                // cache miss, since scoring that node read its vector or code, not its links.
                var next = (byte*)(links0 + ((nuint)frontier.Top.Id * linkStride));
                Sse.Prefetch0(next);
                Sse.Prefetch0(next + 64);
                Sse.Prefetch0(next + recordBytes - 1);
            }
        }
    }

    /// <summary>Collects the unvisited ids of a link list (marking them visited) and starts loading their rows; returns how many.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Gather<TBatch>(ref TBatch batch, uint* links, int count, uint capacity, ref ushort marks, ushort generation, uint* ids)
        where TBatch : struct, IBatchSimilarity
    {
        var m = 0;
        for (var j = 0; j < count; j++)
        {
            var id = links[j];
            if (id >= capacity || Unsafe.Add(ref marks, id) == generation)
            {
                continue;
            }

            Unsafe.Add(ref marks, id) = generation;
            batch.Prefetch(id);
            ids[m++] = id;
        }

        return m;
    }
}
