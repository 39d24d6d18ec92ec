namespace SemCache.Vectors;

/// <summary>A search result: the caller's key and its cosine similarity to the query.</summary>
internal readonly record struct VectorHit(long Key, float Similarity);

/// <summary>Parameters of one partition's index.</summary>
internal sealed record VectorIndexOptions
{
    public required int Dimensions { get; init; }

    /// <summary>
    /// Up to this many live vectors a search scans them all (exact); above it the index becomes an HNSW graph, built
    /// in the background while searches keep scanning exactly until it is ready. 0: a graph from the first vector.
    /// </summary>
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

    /// <summary>When tombstones exceed this fraction of the nodes, the index is rebuilt from its live vectors (in the background).</summary>
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
/// <para>Thread safety: appends, removals and the key map are serialised by one short lock (a vector copy and a
/// dictionary update); the expensive part of an insert, linking the node into the graph, runs after the lock is
/// released, so several writers link in parallel (see <see cref="HnswGraph"/> for the per-node locking). Searches
/// take no lock at all; they pin the arena they read, so a writer never blocks a reader.</para>
/// <para>Whole-graph work never runs on a caller's thread (see PartitionIndex.Maintenance.cs): crossing
/// <see cref="VectorIndexOptions.FlatSearchLimit"/> starts a background promotion, during which searches stay
/// exact flat scans; a tombstone fraction above <see cref="VectorIndexOptions.TombstoneRebuildFraction"/> starts
/// a background rebuild into a compact new generation that is swapped in with one reference write. Retired
/// generations and outgrown arenas are freed by reference counting when their last reader leaves.</para>
/// <para>Replacing a key appends the new vector before tombstoning the old one, so a concurrent search sees one of
/// the two, never neither.</para>
/// </remarks>
internal sealed partial class PartitionIndex : IDisposable
{
    private readonly Lock _gate = new();
    private readonly ArenaLedger _ledger;
    private readonly CancellationTokenSource _stopping = new();
    private Dictionary<long, uint> _ids = [];
    private volatile HnswGraph _graph;
    private int _live;
    private volatile bool _disposed;

    public PartitionIndex(VectorIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _ledger = new ArenaLedger();
        _graph = NewGraph(16);
        if (options.FlatSearchLimit == 0)
        {
            // Never flat: an empty graph is already a finished one, and every insert links itself.
            _graph.MarkLinked();
        }
    }

    private PartitionIndex(VectorIndexOptions options, HnswGraph graph, Dictionary<long, uint> ids, ArenaLedger ledger)
    {
        Options = options;
        _ledger = ledger;
        _graph = graph;
        _ids = ids;
        _live = ids.Count;
    }

    public VectorIndexOptions Options { get; }

    /// <summary>Live vectors.</summary>
    public int Count => Volatile.Read(ref _live);

    /// <summary>The current generation, for batch scorers (see <see cref="VectorMatrix"/>); a rebuild publishes a new one.</summary>
    internal HnswGraph Graph => _graph;

    /// <summary>True once the index searches an HNSW graph rather than scanning.</summary>
    public bool IsGraph => _graph.IsLinked;

    /// <summary>The kernel family scoring this partition: <c>native</c> or <c>managed</c> (reported in stats).</summary>
    public string KernelFamily => _graph.Scorer.Family;

    /// <summary>Float32 bytes held in a memory-mapped file instead of process memory (not in <see cref="MemoryBytes"/>).</summary>
    public long Float32FileBytes => _graph.Float32FileBytes;

    /// <summary>Nodes currently marked deleted but not yet compacted away.</summary>
    public int TombstoneCount => _graph.DeletedCount;

    /// <summary>Nodes the current generation's quantised codes were calibrated on; 0 for float32 or before the first calibration.</summary>
    internal int CalibratedCount => _graph.CalibratedCount;

    /// <summary>Native arenas of this index still allocated (current ones plus retired ones that readers still pin).</summary>
    internal long LiveArenas => _ledger.Live;

    /// <summary>True while the next arena of the current generation is being prepared in the background.</summary>
    internal bool IsPreparingGrowth => _graph.IsPreparingGrowth;

    /// <summary>Arenas freed so far: outgrown arenas and retired generations whose last reader left.</summary>
    internal long FreedArenas => _ledger.FreedCount;

    /// <summary>Pins the arena searches read now (tests: holds a retired generation alive like a slow reader); null once disposed.</summary>
    internal VectorArena? PinCurrentArena()
    {
        while (true)
        {
            var graph = _graph;
            if (graph.TryPin(out var arena))
            {
                return arena;
            }

            if (_disposed)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Bytes held by the index: vector arena, links (all levels), per-node arrays and the key map, divided by nothing:
    /// callers compute per-vector figures themselves. While a rebuild runs, its new generation is included.
    /// </summary>
    public long MemoryBytes
    {
        get
        {
            lock (_gate)
            {
                // Dictionary<long, uint>: a 24-byte entry and a 4-byte bucket per slot of capacity.
                var bytes = _graph.MemoryBytes + (_ids.EnsureCapacity(0) * 28L);
                if (_successor is { } successor)
                {
                    bytes += successor.Graph.MemoryBytes + (successor.Ids.EnsureCapacity(0) * 28L);
                }

                return bytes;
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

    /// <summary>
    /// Adds or replaces the vector of <paramref name="key"/>. Returns once the vector is searchable; never waits for
    /// a whole-graph build (crossing the flat limit only starts one in the background).
    /// </summary>
    public void Add(long key, ReadOnlySpan<float> unitVector)
    {
        CheckDimensions(unitVector.Length, nameof(unitVector));
        HnswGraph graph;
        uint id;
        bool owes;
        HnswGraph? next = null;
        uint nextId = 0;
        var nextOwes = false;
        lock (_gate)
        {
            ThrowIfDisposed();
            graph = _graph;

            // Whether this append owes a link is decided with the append, under the lock that also changes the mode:
            // a promotion started below counts this node in its backlog instead.
            owes = graph.IsLinking;
            id = graph.Append(key, unitVector);
            Publish(_ids, key, id, graph);
            if (_successor is { } successor)
            {
                // A rebuild is catching up: the new generation gets every write too, so the swap loses none.
                next = successor.Graph;
                nextOwes = next.IsLinking;
                nextId = next.Append(key, unitVector);
                Publish(successor.Ids, key, nextId, next);
            }

            Volatile.Write(ref _live, _ids.Count);
            graph.PrepareGrowthIfDue();
            ScheduleMaintenance();
        }

        // Linking is the expensive part of an insert (an efConstruction-wide search per level): done outside the
        // lock, so writers link in parallel and searches already see every earlier vector meanwhile.
        if (owes)
        {
            graph.LinkAppended(id);
        }

        if (nextOwes)
        {
            next!.LinkAppended(nextId);
        }
    }

    /// <summary>
    /// Adds or replaces many vectors (row-major, <see cref="VectorIndexOptions.Dimensions"/> floats each), linking
    /// them on up to <paramref name="threads"/> threads. Searches and other writers may run meanwhile. A bulk load
    /// that crosses the flat limit links the graph here, on the caller's threads, rather than in the background:
    /// the caller asked for the build.
    /// </summary>
    public void AddRange(ReadOnlySpan<long> keys, ReadOnlySpan<float> unitVectors, int threads)
    {
        var dims = Options.Dimensions;
        if ((long)keys.Length * dims != unitVectors.Length)
        {
            throw new ArgumentException($"Expected {keys.Length} x {dims} floats, got {unitVectors.Length}.", nameof(unitVectors));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        HnswGraph graph;
        int first, end;
        bool owes;
        HnswGraph? next = null;
        int nextFirst = 0, nextEnd = 0;
        TaskCompletionSource? promotion = null;
        lock (_gate)
        {
            ThrowIfDisposed();
            graph = _graph;
            owes = graph.IsLinking;
            graph.Reserve(graph.NodeCount + keys.Length);
            first = graph.NodeCount;
            for (var i = 0; i < keys.Length; i++)
            {
                var id = graph.Append(keys[i], unitVectors.Slice(i * dims, dims));
                Publish(_ids, keys[i], id, graph);
            }

            end = graph.NodeCount;
            if (_successor is { } successor && successor.Graph.IsLinking)
            {
                next = successor.Graph;
                nextFirst = next.NodeCount;
                for (var i = 0; i < keys.Length; i++)
                {
                    Publish(successor.Ids, keys[i], next.Append(keys[i], unitVectors.Slice(i * dims, dims)), next);
                }

                nextEnd = next.NodeCount;
            }
            else if (_successor is { } flatSuccessor)
            {
                for (var i = 0; i < keys.Length; i++)
                {
                    Publish(flatSuccessor.Ids, keys[i], flatSuccessor.Graph.Append(keys[i], unitVectors.Slice(i * dims, dims)), flatSuccessor.Graph);
                }
            }

            Volatile.Write(ref _live, _ids.Count);
            if (!owes && _maintenance is null && !_disposed && _ids.Count > Options.FlatSearchLimit)
            {
                graph.BeginLinking();
                promotion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _maintenance = promotion.Task;
            }
            else
            {
                ScheduleMaintenance();
            }
        }

        if (owes)
        {
            graph.LinkRange(first, end, threads, owed: true);
        }

        next?.LinkRange(nextFirst, nextEnd, threads, owed: true);
        if (promotion is not null)
        {
            RunMaintenance(() => Promote(graph, end, threads), promotion);
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
            if (_successor is { } successor && successor.Ids.Remove(key, out var nextId))
            {
                successor.Graph.MarkDeleted(nextId);
            }

            Volatile.Write(ref _live, _ids.Count);
            ScheduleMaintenance();
            return true;
        }
    }

    /// <summary>Fills <paramref name="results"/> with the nearest vectors, best first; returns how many.</summary>
    public int Search(ReadOnlySpan<float> unitQuery, Span<VectorHit> results) => Search(unitQuery, results, Options.EfSearch);

    /// <summary>
    /// As <see cref="Search(ReadOnlySpan{float}, Span{VectorHit})"/> with an explicit candidate-list size
    /// (recall against speed; raised to <c>results.Length</c>). Exact while the index is flat, and while a promotion
    /// to a graph is still running. A disposed index finds nothing.
    /// </summary>
    public int Search(ReadOnlySpan<float> unitQuery, Span<VectorHit> results, int ef)
    {
        CheckDimensions(unitQuery.Length, nameof(unitQuery));
        while (true)
        {
            var graph = _graph;
            if (graph.TrySearch(unitQuery, results, ef, out var count))
            {
                return DropRepeatedKeys(results[..count]);
            }

            // The generation was retired after we read it: a swap has already published its successor, unless the
            // whole index was disposed.
            if (_disposed)
            {
                return 0;
            }
        }
    }

    /// <summary>
    /// Writes the whole index (vectors, graph, keys, tombstones) so that <see cref="ReadSnapshot"/> restores it without
    /// rebuilding. The writer lock is held only to fix the nodes written (and to let the links already running finish);
    /// the write itself runs beside stores, removals and searches, which it does not wait for nor make wait. Returns
    /// false when a rebuild swapped in a new generation during the write: the stream then holds a partial snapshot
    /// the caller must discard (and write again later).
    /// </summary>
    public bool WriteSnapshot(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        HnswGraph graph;
        SnapshotView view;
        lock (_gate)
        {
            ThrowIfDisposed();
            graph = _graph;
            view = graph.CaptureSnapshot();
        }

        return graph.WriteSnapshot(stream, view);
    }

    /// <summary>Restores an index written by <see cref="WriteSnapshot"/>; damaged input raises <see cref="InvalidDataException"/>.</summary>
    public static PartitionIndex ReadSnapshot(Stream stream, VectorIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var ledger = new ArenaLedger();
        var graph = HnswGraph.ReadSnapshot(stream, options.Dimensions, options.M, options.EfConstruction, options.Seed, ledger);
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

        var index = new PartitionIndex(options, graph, ids, ledger);

        // Codes are not part of the snapshot (they are derived from the vectors): a restored graph is calibrated on every
        // node it holds and encoded before it is shared, so its first search already runs on codes.
        index.RefreshCodes(graph);
        lock (index._gate)
        {
            // A flat snapshot above the limit (written while a promotion was running) is promoted again here.
            index.ScheduleMaintenance();
        }

        return index;
    }

    /// <summary>
    /// Stops background maintenance (waiting for the node it is linking), then retires every generation. Searches
    /// still running keep the memory they pinned until they return; later ones find nothing.
    /// </summary>
    public void Dispose()
    {
        Task? running;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stopping.Cancel();
            running = _maintenance;
        }

        try
        {
            running?.Wait();
        }
        catch (AggregateException)
        {
            // Recorded in MaintenanceFault by the task itself; disposal goes on.
        }

        lock (_gate)
        {
            _successor?.Graph.Dispose();
            _successor = null;
            _graph.Dispose();
        }

        _stopping.Dispose();
    }

    private HnswGraph NewGraph(int capacity)
    {
        var graph = new HnswGraph(Options.Dimensions, Options.M, Options.EfConstruction, Options.Seed, capacity, _ledger);
        graph.ConfigureEncoding(Options.Encoding, VectorScorers.For(Options.ForceManagedKernels), Options.Float32Directory);
        return graph;
    }

    /// <summary>Points the key at its new node, then retires the node it replaces.</summary>
    private static void Publish(Dictionary<long, uint> ids, long key, uint id, HnswGraph graph)
    {
        if (ids.Remove(key, out var old))
        {
            graph.MarkDeleted(old);
        }

        ids[key] = id;
    }

    /// <summary>
    /// While a key is being replaced both its nodes are live for an instant; a search that sees both keeps the
    /// better one. k is small, so the quadratic pass costs less than any set.
    /// </summary>
    internal static int DropRepeatedKeys(Span<VectorHit> hits)
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
