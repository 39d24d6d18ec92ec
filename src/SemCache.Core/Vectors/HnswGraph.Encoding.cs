using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using SemCache.Vectors.Native;
using SemCache.Vectors.Quantization;

namespace SemCache.Vectors;

/// <summary>
/// Encodings and the batch scorer seam: quantised codes beside the float32 arena, and a search that scores each node's
/// unvisited neighbours as one gathered batch through <see cref="IVectorScorer"/> (one native call per node).
/// </summary>
/// <remarks>
/// <para>Where float32 lives: in the <see cref="VectorArena"/>, because links are built on float32 (the graph's quality does
/// not depend on the encoding) and the best <c>ef</c> candidates of a quantised search are re-ranked with it, so every
/// similarity a caller sees is exact. For a quantised encoding with <see cref="VectorIndexOptions.Float32Directory"/>
/// set, that block is a memory-mapped file (1,536 B per 384-d vector of disk and page cache, not process memory):
/// traversal reads only the codes (<see cref="CodeArena"/>: 384 B per vector for int8, 48 B for binary) and the links,
/// so float32 is touched ef times per query (the re-rank) instead of once per visited node; under memory pressure each
/// re-ranked candidate may cost a page fault (a 4 KiB read) instead of a cache miss.</para>
/// <para>Who writes codes: an append encodes its node with the current quantiser (a few hundred operations, under the
/// index's writer lock like the vector copy). Calibration, which reads and re-encodes every node, never runs on a
/// writer's thread: the index's background maintenance builds a recalibrated arena beside the published one
/// (<see cref="PrepareCodes"/>, <see cref="CatchUpCodes"/>) and swaps it in under the writer lock
/// (<see cref="PublishCodes"/>), once when the graph starts linking and again each time the node count has doubled
/// since the last calibration (<see cref="CodesDue"/>), which is amortised O(1) per insert. Until the first codes are
/// published a linked graph is searched on float32, exactly.</para>
/// <para>Readers pin the code arena they read after the vector arena (see <see cref="PinnedMemory"/>). A node appended
/// after a reader's code arena was replaced has no code in it; the reader may score that node wrongly (it can only
/// change the path, and the float32 re-rank decides what is returned), never read outside memory: ids are bounded
/// by the smaller of the two capacities.</para>
/// </remarks>
internal sealed unsafe partial class HnswGraph
{
    /// <summary>
    /// A binary traversal keeps this many times ef candidates before the float32 re-rank: 384 sign bits order close
    /// neighbours coarsely (on 3,000 clustered test vectors ef=16 gave recall 0.65 against float32's 0.83 without it), and
    /// a Hamming score costs a small fraction of a float32 dot product, so the wider list is the cheap way to recover
    /// recall. Int8 orders neighbours almost exactly (equal recall in the same test) and needs none.
    /// </summary>
    internal const int BinaryOversampling = 4;

    /// <summary>Rows scored per call in a flat scan: large enough to amortise a call, small enough for the stack.</summary>
    private const int ScanChunk = 256;

    private IVectorScorer _scorer = VectorScorers.Default;
    private VectorEncoding _encoding;
    private volatile CodeArena? _codes;
    private string? _float32Directory;

    /// <summary>The kernels this graph scores with.</summary>
    public IVectorScorer Scorer => _scorer;

    /// <summary>The configured traversal encoding (codes exist once the graph is linking and maintenance has run).</summary>
    public VectorEncoding Encoding => _encoding;

    /// <summary>Bytes of the quantised codes (0 for float32, and before the first calibration).</summary>
    public long CodeBytes => (long)(_codes?.Bytes ?? 0);

    /// <summary>Float32 bytes kept in a memory-mapped file rather than process memory (quantised encodings).</summary>
    public long Float32FileBytes => _arena.FileVectorBytes;

    /// <summary>Nodes the published codes were calibrated on; 0 when there are none.</summary>
    public int CalibratedCount => _codes?.CalibratedCount ?? 0;

    /// <summary>
    /// True when background maintenance should (re)calibrate the codes: a quantised graph that is linking has no codes
    /// yet, or has twice as many nodes as its codes were calibrated on. O(1): checked on every write.
    /// </summary>
    public bool CodesDue
    {
        get
        {
            if (_encoding == VectorEncoding.Float32 || !_linking || _retired)
            {
                return false;
            }

            var count = Volatile.Read(ref _count);
            var codes = _codes;
            return count > 0 && (codes is null || count >= 2 * codes.CalibratedCount);
        }
    }

    /// <summary>True when float32 searches go through the batch seam (native kernels) rather than the inlined managed loop.</summary>
    private bool BatchesFloat32 => _scorer is NativeVectorScorer;

    /// <summary>
    /// Sets the encoding and kernels. Writer only, before the graph is shared. With a quantised encoding and a
    /// <paramref name="float32Directory"/>, float32 vectors move to a memory-mapped file there when the graph's first
    /// codes are published (see <see cref="VectorArena"/> and <see cref="PublishCodes"/>).
    /// </summary>
    public void ConfigureEncoding(VectorEncoding encoding, IVectorScorer scorer, string? float32Directory = null)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        if (!Enum.IsDefined(encoding))
        {
            throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown vector encoding.");
        }

        _encoding = encoding;
        _scorer = scorer;
        _float32Directory = encoding == VectorEncoding.Float32 ? null : float32Directory;
    }

    /// <summary>
    /// Background, outside the writer lock: calibrates a new code arena on the nodes present now and encodes them.
    /// Sets <paramref name="encoded"/> to the nodes encoded; null when the graph is float32 or was retired. The
    /// result is private to the caller until <see cref="PublishCodes"/>, and disposed by it otherwise.
    /// </summary>
    public CodeArena? PrepareCodes(out int encoded)
    {
        encoded = 0;
        if (_encoding == VectorEncoding.Float32)
        {
            return null;
        }

        // Count before the arena: the arena pinned next holds every node the count names; vectors never change once
        // appended, so reading them beside writers is safe.
        var count = Volatile.Read(ref _count);
        if (count == 0 || !TryPin(out var arena))
        {
            return null;
        }

        try
        {
            var codes = CodeArena.Calibrate(_encoding, arena, count, _dimensions, _ledger);
            codes.EncodeRange(arena, 0, count);
            encoded = count;
            return codes;
        }
        finally
        {
            arena.Release();
        }
    }

    /// <summary>
    /// Background, outside the writer lock: encodes into <paramref name="codes"/> the nodes appended since
    /// <paramref name="encoded"/>, growing it if they do not fit. Returns false when the graph was retired.
    /// </summary>
    public bool CatchUpCodes(ref CodeArena codes, ref int encoded)
    {
        var count = Volatile.Read(ref _count);
        if (!TryPin(out var arena))
        {
            return false;
        }

        try
        {
            EncodeInto(ref codes, arena, encoded, count);
            encoded = count;
            return true;
        }
        finally
        {
            arena.Release();
        }
    }

    /// <summary>
    /// Writer lock held: encodes the nodes appended since <paramref name="encoded"/> (few: the caller caught up outside
    /// the lock first), then publishes <paramref name="codes"/> and retires the arena it replaces, which is freed when
    /// its last reader leaves. Appends from here on encode into the new arena.
    /// </summary>
    public void PublishCodes(CodeArena codes, int encoded, VectorArena? moved = null)
    {
        if (_float32Directory is not null && _arena.VectorDirectory is null)
        {
            // First quantisation of this graph: float32 moves to the mapped file now, not at creation, so the many
            // small flat partitions of a cache keep no file open each.
            MoveVectors(moved, _float32Directory);
        }
        else
        {
            moved?.Dispose();
        }

        var arena = _arena;
        EncodeInto(ref codes, arena, encoded, _count);
        var old = _codes;
        _codes = codes;
        old?.Dispose();
    }

    /// <summary>
    /// Background, outside the writer lock: when this graph's float32 vectors are still due to move to their mapped file
    /// (before its first codes are published), copies the vectors appended so far into one, so that
    /// <see cref="PublishCodes"/> under the writer lock copies only the rest. Null when no move is due.
    /// </summary>
    public VectorArena? PrepareVectorMove()
    {
        if (_float32Directory is null || _arena.VectorDirectory is not null)
        {
            return null;
        }

        var count = Volatile.Read(ref _count);
        if (!TryPin(out var arena))
        {
            return null;
        }

        try
        {
            return arena.VectorDirectory is null ? arena.Prepare(arena.Capacity, count, _float32Directory) : null;
        }
        finally
        {
            arena.Release();
        }
    }

    /// <summary>
    /// Writer lock held: replaces the arena by one whose vectors live in a mapped file in <paramref name="directory"/>,
    /// finishing <paramref name="moved"/> (from <see cref="PrepareVectorMove"/>) when it still fits. Linkers are held
    /// off as for a growth; searches finish on the arena they pinned, which is freed when they let go.
    /// </summary>
    private void MoveVectors(VectorArena? moved, string directory)
    {
        _arenaGate.EnterExclusive();
        try
        {
            var old = _arena;
            var count = _count;
            VectorArena next;
            if (moved is not null && moved.Capacity >= old.Capacity && moved.PreparedVectors <= count)
            {
                old.CopyInto(moved, moved.PreparedVectors, count);
                next = moved;
            }
            else
            {
                moved?.Dispose();
                next = old.CopyTo(old.Capacity, count, directory);
            }

            _arena = next;
            old.Dispose();

            // A growth prepared for the in-memory arena would bring the vectors back into memory.
            Interlocked.Exchange(ref _prepared, null)?.Dispose();
        }
        finally
        {
            _arenaGate.ExitExclusive();
        }
    }

    /// <summary>Encodes nodes [from, end) of <paramref name="arena"/> into a private code arena, growing it first if needed.</summary>
    private static void EncodeInto(ref CodeArena codes, VectorArena arena, int from, int end)
    {
        if (end > codes.Capacity)
        {
            var grown = codes.Grow(Math.Max(arena.Capacity, end), from);
            codes.Dispose();
            codes = grown;
        }

        codes.EncodeRange(arena, from, end);
    }

    /// <summary>Writer only: encodes a node just appended (before its id is published).</summary>
    private void EncodeAppended(uint id, VectorArena arena)
    {
        var codes = _codes;
        if (codes is null)
        {
            return;
        }

        if (id >= (uint)codes.Capacity)
        {
            // Published before the old one is retired: a reader that fails to pin the old one finds this one.
            var grown = codes.Grow(Math.Max(arena.Capacity, (int)id + 1), (int)id);
            _codes = grown;
            codes.Dispose();
            codes = grown;
        }

        codes.Encode(id, arena.Vector(id));
    }

    /// <summary>
    /// Pins the published codes for a reader; null when there are none (float32 graph, not calibrated yet) or the
    /// graph was retired meanwhile (the caller's pinned vector arena still serves a float32 search).
    /// </summary>
    private CodeArena? PinCodes()
    {
        while (true)
        {
            var codes = _codes;
            if (codes is null || codes.TryAcquire())
            {
                return codes;
            }

            // Freed: replaced (a newer arena is published, retry) or retired with the graph.
            if (ReferenceEquals(codes, _codes))
            {
                return null;
            }
        }
    }

    /// <summary>Exact flat scan through the seam: chunks of consecutive rows scored in one call each.</summary>
    private int ScanFlatBatched(VectorArena arena, int count, ReadOnlySpan<float> query, Span<VectorHit> results)
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
    /// Best-first search through the seam: on the codes when the graph has them (then the found set is re-ranked with
    /// float32), else on float32 with the gathered native kernel. Both arenas are pinned by the caller.
    /// </summary>
    private int SearchBatched(VectorArena arena, CodeArena? codes, long entry, ReadOnlySpan<float> query, Span<VectorHit> results, int ef)
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
            var exact = new Float32Batch(_scorer, q, arena.Vectors, _dimensions, _stride);
            Traverse(ref exact, arena, entry, ef, scratch, skipDeleted, capacity);
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
            // Re-rank: exact float32 similarity of every candidate the codes found, in one gathered call.
            // (ef is at most 4096, times the binary oversampling: large lists rent instead of using the stack.)
            uint[]? rentedIds = null;
            float[]? rentedScores = null;
            var ids = n <= 512 ? stackalloc uint[n] : (rentedIds = ArrayPool<uint>.Shared.Rent(n)).AsSpan(0, n);
            var exact = n <= 512 ? stackalloc float[n] : (rentedScores = ArrayPool<float>.Shared.Rent(n)).AsSpan(0, n);
            for (var i = 0; i < n; i++)
            {
                ids[i] = work[i].Id;
            }

            fixed (uint* pIds = ids)
            fixed (float* pExact = exact)
            {
                _scorer.DotF32(q, arena.Vectors, pIds, n, _dimensions, _stride, pExact);
            }

            for (var i = 0; i < n; i++)
            {
                work[i].Similarity = exact[i];
            }

            if (rentedIds is not null)
            {
                ArrayPool<uint>.Shared.Return(rentedIds);
                ArrayPool<float>.Shared.Return(rentedScores!);
            }

            work.AsSpan(0, n).Sort(default(BestFirst));
        }

        var count = Math.Min(n, results.Length);
        for (var i = 0; i < count; i++)
        {
            results[i] = new VectorHit(arena.Keys[work[i].Id], work[i].Similarity);
        }

        return count;
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
            SearchLayerBatched(ref batch, arena, current, similarity, 1, level, scratch, false, capacity);
            var top = scratch.Found.Top;
            current = top.Id;
            similarity = top.Similarity;
        }

        SearchLayerBatched(ref batch, arena, current, similarity, ef, 0, scratch, skipDeleted, capacity);
    }

    /// <summary>As <see cref="SearchLayer"/>, scoring each expanded node's unvisited neighbours as one batch.</summary>
    private void SearchLayerBatched<TBatch>(ref TBatch batch, VectorArena arena, uint entry, float entrySimilarity, int ef, int level, SearchScratch scratch, bool skipDeleted, uint capacity)
        where TBatch : struct, IBatchSimilarity
    {
        var frontier = scratch.Frontier;
        var found = scratch.Found;
        frontier.Clear();
        found.Clear();
        var visited = scratch.BeginVisit(arena.Capacity, out var generation);
        ref var marks = ref MemoryMarshal.GetArrayDataReference(visited);
        ref var deleted = ref MemoryMarshal.GetArrayDataReference(arena.Deleted);
        var ids = stackalloc uint[_maxM0];
        var sims = stackalloc float[_maxM0];
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
            var record = Record(arena, best.Id, level);
            if (record.IsEmpty)
            {
                continue;
            }

            var links = Math.Min((int)Volatile.Read(ref record[0]), Math.Min(record.Length - 1, _maxM0));
            var m = 0;
            for (var j = 1; j <= links; j++)
            {
                var id = record[j];
                if (id >= capacity || Unsafe.Add(ref marks, id) == generation)
                {
                    continue;
                }

                Unsafe.Add(ref marks, id) = generation;
                batch.Prefetch(id); // the row's first line starts loading while the rest of the batch is gathered
                ids[m++] = id;
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
        }
    }

    /// <summary>Scores a gathered batch of node ids against the current query; a struct so each encoding's loop is specialised.</summary>
    private interface IBatchSimilarity
    {
        void Score(uint* ids, int count, float* similarities);

        void Prefetch(uint id);
    }

    private readonly struct Float32Batch(IVectorScorer scorer, float* query, float* vectors, int dims, int stride) : IBatchSimilarity
    {
        public void Score(uint* ids, int count, float* similarities) => scorer.DotF32(query, vectors, ids, count, dims, stride, similarities);

        public void Prefetch(uint id)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(vectors + ((nuint)id * (nuint)stride));
            }
        }
    }

    private readonly struct Int8Batch(IVectorScorer scorer, sbyte* query, sbyte* codes, int dims, int codeBytes, float factor, float offset) : IBatchSimilarity
    {
        public void Score(uint* ids, int count, float* similarities)
        {
            var raw = (int*)similarities;
            scorer.DotI8(query, codes, ids, count, dims, codeBytes, raw);
            for (var i = 0; i < count; i++)
            {
                similarities[i] = offset + (factor * raw[i]);
            }
        }

        public void Prefetch(uint id)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(codes + ((nuint)id * (nuint)codeBytes));
            }
        }
    }

    private readonly struct BinaryBatch(IVectorScorer scorer, BinaryQuantizer quantizer, ulong* query, ulong* codes, int words) : IBatchSimilarity
    {
        public void Score(uint* ids, int count, float* similarities)
        {
            var raw = (int*)similarities;
            scorer.Hamming(query, codes, ids, count, words, words, raw);
            for (var i = 0; i < count; i++)
            {
                similarities[i] = quantizer.Similarity(raw[i]);
            }
        }

        public void Prefetch(uint id)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(codes + ((nuint)id * (nuint)words));
            }
        }
    }

    /// <summary>Per-thread, 64-byte-aligned buffer for the encoded query.</summary>
    private static class EncodedQuery
    {
        [ThreadStatic]
        private static byte[]? t_buffer;

        [ThreadStatic]
        private static int t_offset;

        public static byte* Buffer(int bytes)
        {
            if (t_buffer is null || t_buffer.Length < bytes + 64)
            {
                // Pinned so the aligned offset stays valid for the life of the thread.
                t_buffer = GC.AllocateArray<byte>(bytes + 64, pinned: true);
                fixed (byte* p = t_buffer)
                {
                    t_offset = (int)((64 - ((nuint)p & 63)) & 63);
                }
            }

            fixed (byte* p = &t_buffer[t_offset])
            {
                return p;
            }
        }
    }
}
