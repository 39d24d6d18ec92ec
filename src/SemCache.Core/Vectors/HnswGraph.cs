namespace SemCache.Vectors;

/// <summary>
/// One generation of a partition's vectors: a flat arena that is scanned exhaustively until it is linked,
/// then an HNSW graph (Malkov and Yashunin) over the same arena.
/// </summary>
/// <remarks>
/// Concurrency design:
/// <list type="bullet">
/// <item>Nodes are appended by one writer at a time (<see cref="PartitionIndex"/> serialises appends under its
/// short lock). A node's vector, key and level are written before <c>_count</c> is published, and before any link
/// can point at it.</item>
/// <item><see cref="Link"/> runs on many threads at once (writers link their own node after leaving the index's
/// lock; background builds and parallel bulk loads link many). Each change of one node's link list happens under
/// that node's spin lock, and a thread never holds two node locks, so there is no lock order to get wrong. The
/// entry point is one packed 64-bit word, changed under <c>_entryGate</c>; an insert whose level tops the graph
/// holds that gate for its whole insertion, as hnswlib does.</item>
/// <item>Linkers share the <see cref="ArenaGate"/>; growth, snapshots and retirement hold it alone, so a link is
/// never written into an arena that is being copied away.</item>
/// <item>Readers take no lock. They pin the arena they read (reference count) and read a link count (clamped to
/// the record size) and the ids after it; a list being rewritten may be seen half old, half new, but every id
/// ever written names a fully written node, and ids beyond the reader's arena capacity are skipped. A torn list
/// can only change which path a search takes, never make it read outside memory or return a node that was not
/// inserted.</item>
/// <item>Growth copies into a new <see cref="VectorArena"/>; readers finish on the one they pinned, which is freed
/// when the last of them lets go.</item>
/// <item>Two flags separate building from serving: once <see cref="IsLinking"/> is set every appended node is
/// linked (by its writer) while a background task links the nodes that were there before; searches switch from
/// the exact flat scan to the graph only when <see cref="IsLinked"/> is set, after that backlog is done.</item>
/// </list>
/// </remarks>
internal sealed unsafe partial class HnswGraph : IDisposable
{
    /// <summary>Upper bound of node levels; with M >= 2 a level above 30 has probability below 2^-30.</summary>
    internal const int MaxLevel = 30;

    private const long NoEntry = -1;

    private readonly int _m;
    private readonly int _maxM0;
    private readonly int _efConstruction;
    private readonly int _dimensions;
    private readonly int _stride;
    private readonly int _upperRecord;
    private readonly double _levelMultiplier;
    private readonly ulong _seed;
    private readonly Lock _entryGate = new();
    private readonly ArenaGate _arenaGate = new();
    private readonly ArenaLedger? _ledger;

    private volatile VectorArena _arena;
    private int _count;
    private int _deleted;
    private long _entry = NoEntry;
    private long _upperBytes;
    private volatile bool _linking;
    private volatile bool _linked;
    private volatile bool _retired;
    private int _pendingLinks;
    private VectorArena? _prepared;
    private int _preparing;

    /// <summary>Floats per arena row: dimensions rounded up to 16 (one 64-byte line per 16), so every row is aligned for full-width loads.</summary>
    internal static int StrideFor(int dimensions) => (dimensions + 15) & ~15;

    public HnswGraph(int dimensions, int m, int efConstruction, int seed, int initialCapacity, ArenaLedger? ledger = null)
    {
        _dimensions = dimensions;
        _m = m;
        _maxM0 = 2 * m;
        _efConstruction = efConstruction;
        _stride = StrideFor(dimensions);
        _upperRecord = m + 1;
        _levelMultiplier = 1.0 / Math.Log(m);
        _seed = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        _ledger = ledger;
        _arena = new VectorArena(Math.Max(initialCapacity, 16), _stride, 1 + _maxM0, ledger);
    }

    public int Dimensions => _dimensions;

    public int M => _m;

    /// <summary>Nodes appended, tombstones included.</summary>
    public int NodeCount => Volatile.Read(ref _count);

    public int DeletedCount => Volatile.Read(ref _deleted);

    /// <summary>True once every node is in the graph; until then searches scan the arena.</summary>
    public bool IsLinked => _linked;

    /// <summary>True once nodes are being linked: from then on every appended node must be linked by its writer.</summary>
    public bool IsLinking => _linking;

    /// <summary>True once the graph was retired (<see cref="Dispose"/>): links are no longer written, searches fail over.</summary>
    public bool IsRetired => _retired;

    /// <summary>Nodes appended while linking whose writer has not finished linking them yet.</summary>
    public int PendingLinks => Volatile.Read(ref _pendingLinks);

    /// <summary>Starts linking: appends from now on owe a link. Writer only (under the index's lock).</summary>
    public void BeginLinking() => _linking = true;

    /// <summary>Switches searches to the graph; the caller has linked every node appended before <see cref="BeginLinking"/>.</summary>
    public void MarkLinked()
    {
        _linking = true;
        _linked = true;
    }

    internal VectorArena Arena => _arena;

    /// <summary>Total bytes: arena, per-node arrays, upper link lists (with their object headers), quantised codes and a prepared next arena.</summary>
    public long MemoryBytes => _arena.Bytes + Volatile.Read(ref _upperBytes) + CodeBytes + (Volatile.Read(ref _prepared)?.Bytes ?? 0);

    /// <summary>Grows the arena so that <paramref name="capacity"/> nodes fit. Writer only.</summary>
    public void Reserve(int capacity)
    {
        if (capacity > _arena.Capacity)
        {
            GrowTo(capacity);
        }
    }

    /// <summary>
    /// Replaces the arena by a larger copy. Linkers are held off meanwhile (they write links that the copy must not
    /// miss); searches are not: they finish on the arena they pinned, and the old one is freed when they let go.
    /// </summary>
    private VectorArena GrowTo(int capacity)
    {
        _arenaGate.EnterExclusive();
        try
        {
            var old = _arena;
            var count = _count;
            var prepared = Interlocked.Exchange(ref _prepared, null);
            VectorArena next;
            if (prepared is not null && prepared.Capacity >= capacity && prepared.PreparedVectors <= count
                && string.Equals(prepared.VectorDirectory, old.VectorDirectory, StringComparison.Ordinal))
            {
                // Only the vectors appended since the preparation, the links and the per-node arrays are left to copy.
                next = prepared;
                old.CopyInto(next, prepared.PreparedVectors, count);
            }
            else
            {
                prepared?.Dispose();
                next = old.Grow(capacity, count);
            }

            _arena = next;
            old.Dispose();
            return next;
        }
        finally
        {
            _arenaGate.ExitExclusive();
        }
    }

    /// <summary>Arenas below this capacity double in well under a millisecond; preparing them ahead is not worth a task.</summary>
    internal const int PrepareGrowthFrom = 4096;

    /// <summary>True while a background preparation of the next arena runs (tests wait on it).</summary>
    internal bool IsPreparingGrowth => Volatile.Read(ref _preparing) != 0;

    /// <summary>
    /// Once the arena is three quarters full, prepares the next (doubled) arena on a background task: allocation,
    /// zeroing and the copy of the vectors appended so far, which at 384 dimensions is over 90 % of a growth's bytes.
    /// The doubling itself, under the writers' lock, then copies only the rest. Writer only (under the index's lock).
    /// </summary>
    /// <remarks>
    /// The prepared arena is held (and counted in <see cref="MemoryBytes"/>) for the last quarter of the current one's
    /// fill: the price of not stalling every writer of the partition for the whole copy at each doubling.
    /// </remarks>
    public void PrepareGrowthIfDue()
    {
        var arena = _arena;
        var count = _count;
        if (Volatile.Read(ref _prepared) is { } stale && stale.Capacity <= arena.Capacity)
        {
            // Finished after a growth it was meant for (which then copied everything itself): too small now.
            if (ReferenceEquals(Interlocked.CompareExchange(ref _prepared, null, stale), stale))
            {
                stale.Dispose();
            }
        }

        if (arena.Capacity < PrepareGrowthFrom || count < arena.Capacity - (arena.Capacity / 4) || arena.Capacity > int.MaxValue / 2
            || Volatile.Read(ref _prepared) is not null || _retired || Interlocked.CompareExchange(ref _preparing, 1, 0) != 0)
        {
            return;
        }

        var capacity = arena.Capacity * 2;
        _ = Task.Run(() =>
        {
            try
            {
                // Pinned: the source may be outgrown or retired meanwhile; its first `count` vectors stay valid.
                if (!arena.TryAcquire())
                {
                    return;
                }

                try
                {
                    Interlocked.Exchange(ref _prepared, arena.Prepare(capacity, count, arena.VectorDirectory))?.Dispose();
                }
                finally
                {
                    arena.Release();
                }

                // Retired while preparing: whoever takes the prepared arena back frees it (Dispose does the same).
                if (_retired)
                {
                    Interlocked.Exchange(ref _prepared, null)?.Dispose();
                }
            }
            finally
            {
                Volatile.Write(ref _preparing, 0);
            }
        });
    }

    /// <summary>Copies a vector in as a new, not yet linked node. Writer only; returns its id.</summary>
    public uint Append(long key, ReadOnlySpan<float> vector)
    {
        var id = _count;
        if (id == int.MaxValue - 1)
        {
            throw new InvalidOperationException("A partition index holds at most 2^31 - 2 vectors.");
        }

        var arena = _arena;
        if (id == arena.Capacity)
        {
            arena = GrowTo(arena.Capacity <= (int.MaxValue / 2) ? arena.Capacity * 2 : int.MaxValue - 1);
        }

        var uid = (uint)id;
        vector.CopyTo(new Span<float>(arena.Vector(uid), _dimensions));
        arena.Keys[id] = key;
        var level = LevelOf(uid);
        arena.Levels[id] = (byte)level;
        if (level > 0)
        {
            arena.Upper[id] = new uint[level * _upperRecord];
            _upperBytes += (3 * IntPtr.Size) + (level * _upperRecord * sizeof(uint));
        }

        if (_linking)
        {
            // The writer owes this node a link (LinkAppended); a snapshot waits until every such debt is paid.
            Interlocked.Increment(ref _pendingLinks);
        }

        // The code is written before the id is published, like the vector: a search never scores an unwritten code
        // of a node it can reach.
        EncodeAppended(uid, arena);
        Volatile.Write(ref _count, id + 1);
        return uid;
    }

    /// <summary>
    /// Appends copies of the live nodes <paramref name="from"/> to <paramref name="end"/> (exclusive) to
    /// <paramref name="target"/>, recording <c>map[id] = newId + 1</c>; returns the map, enlarged if it had to be.
    /// Runs beside appends to this graph (vectors never change once appended; growth is held off while copying),
    /// but must be the only writer of <paramref name="target"/>.
    /// </summary>
    public uint[] CopyLiveTo(HnswGraph target, int from, int end, uint[] map)
    {
        if (map.Length < end)
        {
            Array.Resize(ref map, Math.Max(end, map.Length * 2));
        }

        _arenaGate.EnterShared();
        try
        {
            var arena = _arena;
            for (var i = from; i < end; i++)
            {
                if (arena.Deleted[i] == 0)
                {
                    map[i] = target.Append(arena.Keys[i], new ReadOnlySpan<float>(arena.Vector((uint)i), _dimensions)) + 1;
                }
            }
        }
        finally
        {
            _arenaGate.ExitShared();
        }

        return map;
    }

    /// <summary>Marks a node as a tombstone. Writer only.</summary>
    public void MarkDeleted(uint id)
    {
        var arena = _arena;
        if (arena.Deleted[id] == 0)
        {
            Volatile.Write(ref arena.Deleted[id], 1);
            Volatile.Write(ref _deleted, _deleted + 1);
        }
    }

    public bool IsDeleted(uint id) => _arena.Deleted[id] != 0;

    public long KeyOf(uint id) => _arena.Keys[id];

    /// <summary>The stored vector of a node (without padding).</summary>
    public ReadOnlySpan<float> VectorOf(uint id) => new(_arena.Vector(id), _dimensions);

    /// <summary>
    /// Pins the current arena for a lock-free reader. False when the graph was retired and its arena freed; the
    /// caller then reads the generation that replaced it. A true return must be paired with
    /// <see cref="PinnedMemory.Release"/>.
    /// </summary>
    public bool TryPin(out VectorArena arena)
    {
        while (true)
        {
            arena = _arena;
            if (arena.TryAcquire())
            {
                return true;
            }

            // Freed: either outgrown (a newer arena is published, retry) or retired with the graph.
            if (ReferenceEquals(arena, _arena))
            {
                return false;
            }
        }
    }

    /// <summary>
    /// Retires the graph: waits for running links to finish, stops new ones, and drops the owner's references to the
    /// arena and the quantised codes. Readers that pinned them keep them until they leave; the last one frees them.
    /// </summary>
    public void Dispose()
    {
        _arenaGate.EnterExclusive();
        try
        {
            _retired = true;
            _arena.Dispose();
            _codes?.Dispose();
            Interlocked.Exchange(ref _prepared, null)?.Dispose();
        }
        finally
        {
            _arenaGate.ExitExclusive();
        }
    }

    /// <summary>
    /// The level of a node, drawn from the exponential distribution of the HNSW paper by hashing the id with the
    /// seed: deterministic for a given insertion order and free of shared random state between build threads.
    /// </summary>
    private int LevelOf(uint id)
    {
        var z = _seed + ((ulong)id * 0xBF58476D1CE4E5B9UL) + 0x94D049BB133111EBUL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        var uniform = ((z >> 11) + 1) * (1.0 / (1UL << 53));
        var level = (int)(-Math.Log(uniform) * _levelMultiplier);
        return Math.Min(level, MaxLevel);
    }

    private static long PackEntry(uint id, int level) => ((long)level << 32) | id;
}
