using SemCache.Vectors.Quantization;

namespace SemCache.Vectors;

/// <summary>
/// Encodings: quantised codes beside the float32 arena, their calibration, publication and pinning. The searches over them
/// are in HnswGraph.Search.cs (one loop for every encoding) and HnswGraph.Similarity.cs (the per-encoding scoring).
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
}
