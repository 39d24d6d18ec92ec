namespace SemCache.Vectors;

/// <summary>A search result: the caller's key and its cosine similarity to the query.</summary>
internal readonly record struct VectorHit(long Key, float Similarity);

/// <summary>Parameters of one partition's index.</summary>
internal sealed record VectorIndexOptions
{
    public required int Dimensions { get; init; }

    /// <summary>Up to this many live vectors a search scans them all (exact); above it the index becomes an HNSW graph.</summary>
    public int FlatSearchLimit { get; init; } = 2048;

    /// <summary>HNSW links per node on the upper levels (2M on level 0).</summary>
    public int M { get; init; } = 16;

    /// <summary>Candidate-list size while inserting.</summary>
    public int EfConstruction { get; init; } = 200;

    /// <summary>Default candidate-list size of a search (raised to the number of results asked for).</summary>
    public int EfSearch { get; init; } = 64;

    /// <summary>Seed of the level assignment: the same inserts in the same order build the same graph.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>How the linked graph is traversed: float32, or int8/binary codes with float32 re-rank.</summary>
    public VectorEncoding Encoding { get; init; } = VectorEncoding.Float32;

    /// <summary>
    /// For int8/binary: a directory where float32 vectors are kept in a memory-mapped (unlinked) file instead of
    /// process memory; null keeps them in memory. Ignored for float32.
    /// </summary>
    public string? Float32Directory { get; init; }

    /// <summary>Score with the managed kernels even when the native library is loaded (tests, benchmarks).</summary>
    public bool ForceManagedKernels { get; init; }

    /// <summary>When tombstones exceed this fraction of the nodes, the index is rebuilt from its live vectors.</summary>
    public double TombstoneRebuildFraction { get; init; } = 0.25;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Dimensions, 1, nameof(Dimensions));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Dimensions, 65536, nameof(Dimensions));
        ArgumentOutOfRangeException.ThrowIfNegative(FlatSearchLimit, nameof(FlatSearchLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(M, 2, nameof(M));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(M, 256, nameof(M));
        ArgumentOutOfRangeException.ThrowIfLessThan(EfConstruction, 1, nameof(EfConstruction));
        ArgumentOutOfRangeException.ThrowIfLessThan(EfSearch, 1, nameof(EfSearch));
        if (!Enum.IsDefined(Encoding))
        {
            throw new ArgumentOutOfRangeException(nameof(Encoding), Encoding, "Unknown vector encoding.");
        }

        if (!(TombstoneRebuildFraction is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TombstoneRebuildFraction), TombstoneRebuildFraction, "Must be in (0, 1].");
        }
    }
}

/// <summary>
/// The vector index of one partition (tenant, scope, context): an exact flat scan while small, an HNSW graph above
/// <see cref="VectorIndexOptions.FlatSearchLimit"/>. Vectors are L2-normalised by the caller (see
/// <see cref="VectorKernels.TryNormalize"/>); similarity is the dot product.
/// </summary>
/// <remarks>
/// Thread safety: writers (add, remove, snapshot, rebuild) are serialised by one lock; searches take no lock at all
/// (see <see cref="HnswGraph"/> for how they tolerate concurrent link updates), so a writer never blocks a reader.
/// Replacing a key appends the new vector before tombstoning the old one, so a concurrent search sees one of the
/// two, never neither. Deleting marks a tombstone (still traversed, never returned); once tombstones exceed
/// <see cref="VectorIndexOptions.TombstoneRebuildFraction"/> of the nodes the writer builds a compact new
/// generation and publishes it in one reference swap; searches running on the old one finish there, and its
/// memory is released when the last of them lets go.
/// </remarks>
internal sealed class PartitionIndex : IDisposable
{
    private readonly Lock _gate = new();
    private Dictionary<long, uint> _ids = [];
    private volatile HnswGraph _graph;
    private int _live;
    private bool _disposed;

    public PartitionIndex(VectorIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _graph = NewGraph(16);
    }

    private PartitionIndex(VectorIndexOptions options, HnswGraph graph, Dictionary<long, uint> ids)
    {
        Options = options;
        _graph = graph;
        _ids = ids;
        _live = ids.Count;
    }

    public VectorIndexOptions Options { get; }

    /// <summary>Live vectors.</summary>
    public int Count => Volatile.Read(ref _live);

    /// <summary>True once the index searches an HNSW graph rather than scanning.</summary>
    public bool IsGraph => _graph.IsLinked;

    /// <summary>The kernel family scoring this partition: <c>native</c> or <c>managed</c> (reported in stats).</summary>
    public string KernelFamily => _graph.Scorer.Family;

    /// <summary>Float32 bytes held in a memory-mapped file instead of process memory (not in <see cref="MemoryBytes"/>).</summary>
    public long Float32FileBytes => _graph.Float32FileBytes;

    /// <summary>Nodes currently marked deleted but not yet compacted away.</summary>
    public int TombstoneCount => _graph.DeletedCount;

    /// <summary>
    /// Bytes held by the index: vector arena, links (all levels), per-node arrays and the key map, divided by nothing:
    /// callers compute per-vector figures themselves.
    /// </summary>
    public long MemoryBytes
    {
        get
        {
            lock (_gate)
            {
                // Dictionary<long, uint>: a 24-byte entry and a 4-byte bucket per slot of capacity.
                return _graph.MemoryBytes + (_ids.EnsureCapacity(0) * 28L);
            }
        }
    }

    /// <summary>Makes room for <paramref name="capacity"/> vectors in total, so a known-size load does not regrow.</summary>
    public void Reserve(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        lock (_gate)
        {
            ThrowIfDisposed();
            _graph.Reserve(capacity);
            _ids.EnsureCapacity(capacity);
        }
    }

    /// <summary>Adds or replaces the vector of <paramref name="key"/>.</summary>
    public void Add(long key, ReadOnlySpan<float> unitVector)
    {
        CheckDimensions(unitVector.Length, nameof(unitVector));
        lock (_gate)
        {
            ThrowIfDisposed();
            var graph = _graph;
            var id = graph.Append(key, unitVector);
            if (graph.IsLinked)
            {
                graph.Link(id);
            }

            Publish(key, id, graph);
            if (!graph.IsLinked && _ids.Count > Options.FlatSearchLimit)
            {
                graph.LinkAll(0, threads: 1);
            }

            graph.MaintainCodes();
            RebuildIfWorthwhile();
        }
    }

    /// <summary>
    /// Adds or replaces many vectors (row-major, <see cref="VectorIndexOptions.Dimensions"/> floats each), linking
    /// them on up to <paramref name="threads"/> threads. Searches may run meanwhile; other writers wait.
    /// </summary>
    public void AddRange(ReadOnlySpan<long> keys, ReadOnlySpan<float> unitVectors, int threads)
    {
        var dims = Options.Dimensions;
        if ((long)keys.Length * dims != unitVectors.Length)
        {
            throw new ArgumentException($"Expected {keys.Length} x {dims} floats, got {unitVectors.Length}.", nameof(unitVectors));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        lock (_gate)
        {
            ThrowIfDisposed();
            var graph = _graph;
            graph.Reserve(graph.NodeCount + keys.Length);
            var first = graph.NodeCount;
            for (var i = 0; i < keys.Length; i++)
            {
                var id = graph.Append(keys[i], unitVectors.Slice(i * dims, dims));
                Publish(keys[i], id, graph);
            }

            if (graph.IsLinked)
            {
                graph.LinkAll(first, threads);
            }
            else if (_ids.Count > Options.FlatSearchLimit)
            {
                graph.LinkAll(0, threads);
            }

            graph.MaintainCodes();
            RebuildIfWorthwhile();
        }
    }

    /// <summary>True when the key is live in the index.</summary>
    public bool Contains(long key)
    {
        lock (_gate) { return _ids.ContainsKey(key); }
    }

    /// <summary>The live keys (a copy).</summary>
    public long[] Keys()
    {
        lock (_gate) { return [.. _ids.Keys]; }
    }

    /// <summary>Removes a key; false when it was not present.</summary>
    public bool Remove(long key)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            if (!_ids.Remove(key, out var id))
            {
                return false;
            }

            _graph.MarkDeleted(id);
            Volatile.Write(ref _live, _ids.Count);
            RebuildIfWorthwhile();
            return true;
        }
    }

    /// <summary>Fills <paramref name="results"/> with the nearest vectors, best first; returns how many.</summary>
    public int Search(ReadOnlySpan<float> unitQuery, Span<VectorHit> results) => Search(unitQuery, results, Options.EfSearch);

    /// <summary>
    /// As <see cref="Search(ReadOnlySpan{float}, Span{VectorHit})"/> with an explicit candidate-list size
    /// (recall against speed; raised to <c>results.Length</c>). Exact while the index is flat.
    /// </summary>
    public int Search(ReadOnlySpan<float> unitQuery, Span<VectorHit> results, int ef)
    {
        CheckDimensions(unitQuery.Length, nameof(unitQuery));
        var graph = _graph;
        var count = graph.IsLinked ? graph.SearchGraph(unitQuery, results, ef) : graph.ScanFlat(unitQuery, results);
        return DropRepeatedKeys(results[..count]);
    }

    /// <summary>Writes the whole index (vectors, graph, keys, tombstones) so that <see cref="ReadSnapshot"/> restores it without rebuilding.</summary>
    public void WriteSnapshot(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        lock (_gate)
        {
            ThrowIfDisposed();
            _graph.WriteSnapshot(stream);
        }
    }

    /// <summary>Restores an index written by <see cref="WriteSnapshot"/>; damaged input raises <see cref="InvalidDataException"/>.</summary>
    public static PartitionIndex ReadSnapshot(Stream stream, VectorIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var graph = HnswGraph.ReadSnapshot(stream, options.Dimensions, options.M, options.EfConstruction, options.Seed);
        graph.ConfigureEncoding(options.Encoding, VectorScorers.For(options.ForceManagedKernels), options.Float32Directory);
        var ids = new Dictionary<long, uint>(graph.NodeCount - graph.DeletedCount);
        for (var i = 0; i < graph.NodeCount; i++)
        {
            var id = (uint)i;
            if (!graph.IsDeleted(id) && !ids.TryAdd(graph.KeyOf(id), id))
            {
                graph.Dispose();
                throw new InvalidDataException($"The vector index snapshot holds key {graph.KeyOf(id)} twice.");
            }
        }

        return new PartitionIndex(options, graph, ids);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _disposed = true;
                _graph.Dispose();
            }
        }
    }

    private HnswGraph NewGraph(int capacity)
    {
        var graph = new HnswGraph(Options.Dimensions, Options.M, Options.EfConstruction, Options.Seed, capacity);
        graph.ConfigureEncoding(Options.Encoding, VectorScorers.For(Options.ForceManagedKernels), Options.Float32Directory);
        return graph;
    }

    /// <summary>Points the key at its new node, then retires the node it replaces.</summary>
    private void Publish(long key, uint id, HnswGraph graph)
    {
        if (_ids.Remove(key, out var old))
        {
            graph.MarkDeleted(old);
        }

        _ids[key] = id;
        Volatile.Write(ref _live, _ids.Count);
    }

    private void RebuildIfWorthwhile()
    {
        var graph = _graph;
        var tombstones = graph.DeletedCount;
        if (tombstones == 0 || tombstones <= Options.TombstoneRebuildFraction * graph.NodeCount)
        {
            return;
        }

        var next = NewGraph(_ids.Count);
        var ids = new Dictionary<long, uint>(_ids.Count);
        for (var i = 0; i < graph.NodeCount; i++)
        {
            var id = (uint)i;
            if (!graph.IsDeleted(id))
            {
                ids[graph.KeyOf(id)] = next.Append(graph.KeyOf(id), graph.VectorOf(id));
            }
        }

        if (graph.IsLinked || ids.Count > Options.FlatSearchLimit)
        {
            next.LinkAll(0, threads: 1);
        }

        next.MaintainCodes();
        _ids = ids;
        _graph = next;

        // The old generation is not disposed here: searches may still be reading it. Its arena frees itself
        // (finalizer) once unreachable.
    }

    /// <summary>
    /// While a key is being replaced both its nodes are live for an instant; a search that sees both keeps the
    /// better one. k is small, so the quadratic pass costs less than any set.
    /// </summary>
    private static int DropRepeatedKeys(Span<VectorHit> hits)
    {
        var kept = 0;
        for (var i = 0; i < hits.Length; i++)
        {
            var repeated = false;
            for (var j = 0; j < kept; j++)
            {
                if (hits[j].Key == hits[i].Key)
                {
                    repeated = true;
                    break;
                }
            }

            if (!repeated)
            {
                hits[kept++] = hits[i];
            }
        }

        return kept;
    }

    private void CheckDimensions(int length, string paramName)
    {
        if (length != Options.Dimensions)
        {
            throw new ArgumentException($"Expected a vector of {Options.Dimensions} dimensions, got {length}.", paramName);
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
