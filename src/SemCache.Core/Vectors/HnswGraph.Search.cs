using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace SemCache.Vectors;

internal sealed unsafe partial class HnswGraph
{
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
            if (linked)
            {
                count = codes is not null || BatchesFloat32
                    ? SearchBatched(arena, codes, entry, query, results, ef)
                    : SearchGraph(arena, entry, query, results, ef);
            }
            else
            {
                count = BatchesFloat32 ? ScanFlatBatched(arena, nodes, query, results) : ScanFlat(arena, nodes, query, results);
            }

            return true;
        }
        finally
        {
            codes?.Release();
            arena.Release();
        }
    }

    /// <summary>Best-first search of the graph; fills <paramref name="results"/> best first and returns how many.</summary>
    private int SearchGraph(VectorArena arena, long entry, ReadOnlySpan<float> query, Span<VectorHit> results, int ef)
    {
        if (results.IsEmpty)
        {
            return 0;
        }

        if (entry < 0 || (uint)entry >= (uint)arena.Capacity)
        {
            return 0;
        }

        var scratch = SearchScratch.Current;
        var q = scratch.PrepareQuery(query, _stride);
        var current = (uint)entry;
        var similarity = Sim(q, arena.Vector(current));
        for (var level = (int)(entry >> 32); level > 0; level--)
        {
            current = Greedy(arena, q, current, ref similarity, level);
        }

        SearchLayer(arena, q, current, similarity, Math.Max(ef, results.Length), 0, scratch, Volatile.Read(ref _deleted) > 0);
        var found = scratch.Found;
        while (found.Count > results.Length)
        {
            found.Pop();
        }

        var count = found.Count;
        for (var i = count - 1; i >= 0; i--)
        {
            var c = found.Pop();
            results[i] = new VectorHit(arena.Keys[c.Id], c.Similarity);
        }

        return count;
    }

    /// <summary>Exact search: scans the first <paramref name="count"/> nodes of the arena, skipping tombstones.</summary>
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
        var found = 0;
        var k = results.Length;
        for (var id = 0; id < count; id++)
        {
            if (checkDeleted && deleted[id] != 0)
            {
                continue;
            }

            var s = Sim(q, arena.Vector((uint)id));
            if (found == k && !(s > results[k - 1].Similarity))
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

        return found;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Sim(float* x, float* y) => VectorKernels.Dot(x, y, _stride);

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

    /// <summary>Greedy descent on one upper level (ef = 1).</summary>
    private uint Greedy(VectorArena arena, float* q, uint current, ref float similarity, int level)
    {
        var capacity = (uint)arena.Capacity;
        bool changed;
        do
        {
            changed = false;
            var record = Record(arena, current, level);
            if (record.IsEmpty)
            {
                break;
            }

            var n = Math.Min((int)Volatile.Read(ref record[0]), record.Length - 1);
            for (var j = 1; j <= n; j++)
            {
                var id = record[j];
                if (id >= capacity)
                {
                    continue;
                }

                var s = Sim(q, arena.Vector(id));
                if (s > similarity)
                {
                    similarity = s;
                    current = id;
                    changed = true;
                }
            }
        }
        while (changed);

        return current;
    }

    /// <summary>
    /// Best-first search of one level from one entry node, leaving up to <paramref name="ef"/> nodes in
    /// <see cref="SearchScratch.Found"/> (worst on top). Tombstones are traversed but, when
    /// <paramref name="skipDeleted"/>, never enter the result set.
    /// </summary>
    private void SearchLayer(VectorArena arena, float* q, uint entry, float entrySimilarity, int ef, int level, SearchScratch scratch, bool skipDeleted)
    {
        if (level == 0)
        {
            SearchLevel0(arena, q, entry, entrySimilarity, ef, scratch, skipDeleted);
            return;
        }

        var frontier = scratch.Frontier;
        var found = scratch.Found;
        frontier.Clear();
        found.Clear();
        var capacity = (uint)arena.Capacity;
        var visited = scratch.BeginVisit(arena.Capacity, out var generation);
        ref var marks = ref MemoryMarshal.GetArrayDataReference(visited);
        ref var deleted = ref MemoryMarshal.GetArrayDataReference(arena.Deleted);
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

            // Upper records live in managed arrays: pin the one being read while a pointer walks it.
            // (Level 0 went to SearchLevel0 above, so every record here is an upper one.)
            var upper = arena.Upper[best.Id];
            fixed (uint* upperBase = upper)
            {
                var offset = (level - 1) * _upperRecord;
                if (upperBase is null || offset + _upperRecord > upper!.Length)
                {
                    continue;
                }

                var links = upperBase + offset;
                var n = Math.Min((int)Volatile.Read(ref *links), _upperRecord - 1);
                links++;
                if (Sse.IsSupported && n > 0 && links[0] < capacity)
                {
                    Sse.Prefetch0(arena.Vector(links[0]));
                }

                for (var j = 0; j < n; j++)
                {
                    var id = links[j];
                    if (j + 1 < n)
                    {
                        var next = links[j + 1];
                        if (Sse.IsSupported && next < capacity)
                        {
                            Sse.Prefetch0(arena.Vector(next));
                        }
                    }

                    if (id >= capacity || Unsafe.Add(ref marks, id) == generation)
                    {
                        continue;
                    }

                    Unsafe.Add(ref marks, id) = generation;
                    var s = Sim(q, arena.Vector(id));
                    if (found.Count < ef || s > lower)
                    {
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
            }
        }
    }

    /// <summary>
    /// <see cref="SearchLayer"/> for level 0, the hot loop of every query: link records and vectors are read through
    /// raw pointers hoisted into locals, and the next neighbour's vector is prefetched while the current one is scored.
    /// </summary>
    private void SearchLevel0(VectorArena arena, float* q, uint entry, float entrySimilarity, int ef, SearchScratch scratch, bool skipDeleted)
    {
        var frontier = scratch.Frontier;
        var found = scratch.Found;
        frontier.Clear();
        found.Clear();
        var capacity = (uint)arena.Capacity;
        var vectors = arena.Vectors;
        var stride = (nuint)_stride;
        var links0 = arena.Links;
        var linkStride = (nuint)arena.LinkStride;
        var maxLinks = arena.LinkStride - 1;
        var dims = _stride;
        var visited = scratch.BeginVisit(arena.Capacity, out var generation);
        ref var marks = ref MemoryMarshal.GetArrayDataReference(visited);
        ref var deleted = ref MemoryMarshal.GetArrayDataReference(arena.Deleted);
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
            var links = links0 + ((nuint)best.Id * linkStride);
            var n = Math.Min((int)Volatile.Read(ref *links), maxLinks);
            links++;
            if (Sse.IsSupported && n > 0 && links[0] < capacity)
            {
                Sse.Prefetch0(vectors + ((nuint)links[0] * stride));
            }

            for (var j = 0; j < n; j++)
            {
                var id = links[j];
                if (Sse.IsSupported && j + 1 < n)
                {
                    var next = links[j + 1];
                    if (next < capacity)
                    {
                        Sse.Prefetch0(vectors + ((nuint)next * stride));
                    }
                }

                if (id >= capacity || Unsafe.Add(ref marks, id) == generation)
                {
                    continue;
                }

                Unsafe.Add(ref marks, id) = generation;
                var s = VectorKernels.Dot(q, vectors + ((nuint)id * stride), dims);
                if (s > lower || found.Count < ef)
                {
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
        }
    }
}
