namespace SemCache.Vectors;

/// <summary>
/// One generation of a partition's vectors: a flat arena that is scanned exhaustively until it is linked,
/// then an HNSW graph (Malkov and Yashunin) over the same arena.
/// </summary>
/// <remarks>
/// Concurrency design:
/// <list type="bullet">
/// <item>Nodes are appended by one writer at a time (<see cref="PartitionIndex"/> serialises them). A node's vector,
/// key and level are written before <c>_count</c> is published, and before any link can point at it.</item>
/// <item><see cref="Link"/> may run on many threads at once (parallel build). Each change of one node's link list
/// happens under that node's spin lock, and a thread never holds two node locks, so there is no lock order to
/// get wrong. The entry point is one packed 64-bit word, changed under <c>_entryGate</c>; an insert whose level
/// tops the graph holds that gate for its whole insertion, as hnswlib does.</item>
/// <item>Readers take no lock. They read a link count (clamped to the record size) and the ids after it; a list
/// being rewritten may be seen half old, half new, but every id ever written names a fully written node, and ids
/// beyond the reader's arena capacity are skipped. A torn list can only change which path a search takes, never
/// make it read outside memory or return a node that was not inserted.</item>
/// <item>Growth copies into a new <see cref="VectorArena"/>; readers finish on the one they started with.</item>
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

    private volatile VectorArena _arena;
    private int _count;
    private int _deleted;
    private long _entry = NoEntry;
    private long _upperBytes;
    private volatile bool _linked;

    public HnswGraph(int dimensions, int m, int efConstruction, int seed, int initialCapacity)
    {
        _dimensions = dimensions;
        _m = m;
        _maxM0 = 2 * m;
        _efConstruction = efConstruction;
        _stride = (dimensions + 15) & ~15;
        _upperRecord = m + 1;
        _levelMultiplier = 1.0 / Math.Log(m);
        _seed = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        _arena = new VectorArena(Math.Max(initialCapacity, 16), _stride, 1 + _maxM0);
    }

    public int Dimensions => _dimensions;

    public int M => _m;

    /// <summary>Nodes appended, tombstones included.</summary>
    public int NodeCount => Volatile.Read(ref _count);

    public int DeletedCount => Volatile.Read(ref _deleted);

    /// <summary>True once every node is in the graph; until then searches scan the arena.</summary>
    public bool IsLinked => _linked;

    internal VectorArena Arena => _arena;

    /// <summary>Total bytes: arena, per-node arrays, upper link lists (with their object headers) and quantised codes.</summary>
    public long MemoryBytes => _arena.Bytes + Volatile.Read(ref _upperBytes) + CodeBytes;

    /// <summary>Grows the arena so that <paramref name="capacity"/> nodes fit. Writer only.</summary>
    public void Reserve(int capacity)
    {
        var arena = _arena;
        if (capacity > arena.Capacity)
        {
            _arena = arena.Grow(capacity, _count);
        }
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
            arena = arena.Grow(arena.Capacity <= (int.MaxValue / 2) ? arena.Capacity * 2 : int.MaxValue - 1, id);
            _arena = arena;
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

        EncodeAppended(uid, arena);
        Volatile.Write(ref _count, id + 1);
        return uid;
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

    public void Dispose()
    {
        _arena.Dispose();
        _codes?.Dispose();
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
