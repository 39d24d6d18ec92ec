using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SemCache.Eviction;
using SemCache.Expiry;
using SemCache.Partitions;
using SemCache.Storage;
using SemCache.Telemetry;
using SemCache.Vectors;
using SemCache.Verification;

namespace SemCache.Engine;

/// <summary>
/// The embedded engine. Reads (lookups) take no engine lock: they go through concurrent maps,
/// the partition index (which has its own reader/writer discipline) and the store. Mutations of
/// in-memory bookkeeping (entry lists, tags, exact map) take <see cref="_gate"/> for microseconds;
/// the durable write itself happens outside it so concurrent stores share commits.
/// </summary>
internal sealed partial class SemanticCache : IEmbeddedSemanticCache
{
    private const int StoreStripes = 64;

    private readonly SemanticCacheOptions _options;
    private readonly IEntryStore _store;
    private readonly IEmbeddingGenerator<string, Embedding<float>>? _embedder;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly RequestValidator _validator;
    private readonly PromptVerifier _verifier;
    private readonly ICandidateRescorer? _rescorer;
    private readonly SemCacheTelemetry _telemetry;
    private readonly VectorIndexOptions _indexOptions;
    private readonly string? _indexDirectory;
    private readonly IBatchSimilarityScorer _batchScorer;

    private readonly Lock _gate = new();
    private readonly Lock _snapshotGate = new();
    private readonly ConcurrentDictionary<long, EntryMeta> _entries = new();
    private readonly PartitionRegistry _partitions;
    private readonly ConcurrentDictionary<string, TenantState> _tenants = new(StringComparer.Ordinal);
    private readonly List<EntryMeta> _all = [];
    private readonly ExpiryQueue _expiries = new();

    /// <summary>
    /// Analyses of recently checked candidates kept in memory (a fixed bound, not per entry): beyond
    /// it a candidate's prompt is read from the store and analysed again when it is next checked.
    /// </summary>
    internal const int AnalysisCacheCapacity = 4_096;

    private readonly AnalysisCache _analyses = new(AnalysisCacheCapacity);

    /// <summary>Distinct scopes whose fingerprints are kept; a bound against traffic that sends ever new scopes.</summary>
    internal const int ScopeFingerprintCacheCapacity = 1_024;

    private readonly ScopeFingerprintCache _scopeFingerprints = new(ScopeFingerprintCacheCapacity);
    private readonly long _vectorBytes;
    private readonly SingleFlight<UInt128> _flights = new();
    private readonly SemaphoreSlim[] _storeStripes;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _maintenance;

    private List<long>? _staleAtOpen;
    private Task? _staleDeletion;
    private long _nextId;
    private int _active;
    private long _totalBytes;
    private int _disposed;

    public SemanticCache(
        SemanticCacheOptions options,
        IEntryStore store,
        IEmbeddingGenerator<string, Embedding<float>>? embedder,
        ILogger? logger = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        VerifierOptions? verifierOptions = null,
        ICandidateRescorer? rescorer = null,
        IBatchSimilarityScorer? batchScorer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(store);
        ThrowIfUnusable(options, embedder);
        _options = options;
        _store = store;
        _embedder = embedder;
        _logger = logger ?? NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
        _validator = new RequestValidator(options);
        _verifier = new PromptVerifier(verifierOptions ?? new VerifierOptions());
        _rescorer = rescorer;
        _batchScorer = batchScorer ?? BatchSimilarityScorers.Cpu;
        _telemetry = new SemCacheTelemetry(meterFactory, () => _entries.Count, () => Interlocked.Read(ref _totalBytes));
        _costs = OpenCosts(_logger, meterFactory);
        _indexOptions = new VectorIndexOptions
        {
            Dimensions = options.Dimensions,
            FlatSearchLimit = options.FlatSearchLimit,
            M = options.HnswM,
            EfConstruction = options.HnswEfConstruction,
            EfSearch = options.HnswEfSearch,
            Encoding = options.VectorEncoding,

            // Quantised partitions keep float32 (build and re-rank only) in unlinked memory-mapped files beside the
            // data; an in-memory cache keeps it in memory, since it promised to write nothing.
            Float32Directory = options.Durability == CacheDurability.InMemory ? null : Path.Combine(options.DataDirectory, "float32"),
        };
        _vectorBytes = EntryCost.VectorBytes(_indexOptions);
        _partitions = new PartitionRegistry(_indexOptions, EntryCost.PartitionBytes(_indexOptions), ChargePartition);
        _indexDirectory = options.Durability == CacheDurability.InMemory ? null : Path.Combine(options.DataDirectory, "index");
        _storeStripes = new SemaphoreSlim[StoreStripes];
        for (var i = 0; i < _storeStripes.Length; i++) { _storeStripes[i] = new SemaphoreSlim(1, 1); }

        var sw = Stopwatch.StartNew();
        SnapshotsLoaded = Recover();
        Log.Opened(_logger, _entries.Count, _partitions.Count, options.DataDirectory, options.Durability, sw.ElapsedMilliseconds, SnapshotsLoaded);
        Log.Kernels(_logger, VectorScorers.Describe(), options.VectorEncoding);
        Log.BatchScorer(_logger, _batchScorer.Accelerator);
        WarmUp();
        _maintenance = Task.Run(MaintenanceLoopAsync);
    }

    /// <summary>
    /// Opens the engine over <paramref name="store"/> without blocking the caller: memory is rebuilt
    /// on the thread pool, and the records recovery found stale (expired, or replaced by a newer
    /// answer) are deleted in one batch before the engine is handed out.
    /// </summary>
    public static async ValueTask<SemanticCache> OpenAsync(
        SemanticCacheOptions options,
        IEntryStore store,
        IEmbeddingGenerator<string, Embedding<float>>? embedder,
        ILogger? logger = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        VerifierOptions? verifierOptions = null,
        ICandidateRescorer? rescorer = null,
        IBatchSimilarityScorer? batchScorer = null,
        CancellationToken cancellationToken = default)
    {
        var cache = await Task.Run(
            () => new SemanticCache(options, store, embedder, logger, timeProvider, meterFactory, verifierOptions, rescorer, batchScorer),
            cancellationToken);
        try
        {
            await cache.DeleteStaleAsync();
            return cache;
        }
        catch
        {
            await cache.DisposeAsync();
            throw;
        }
    }

    /// <summary>Fails before anything is opened when the options are invalid or no vectors can be had.</summary>
    public static void ThrowIfUnusable(SemanticCacheOptions options, IEmbeddingGenerator<string, Embedding<float>>? embedder)
    {
        SemanticCacheOptionsValidator.ThrowIfInvalid(options);
        if (embedder is null && !options.RequestsBringVectors)
        {
            throw new InvalidOperationException(
                "SemCache has no embedding generator: register one (e.g. AddOnnxEmbedder()) or set SemanticCacheOptions.RequestsBringVectors = true so that every request brings its own vector.");
        }

        if (embedder?.GetService<EmbeddingGeneratorMetadata>() is { DefaultModelDimensions: { } dims } && dims != options.Dimensions)
        {
            throw new InvalidOperationException(
                $"The embedding generator produces {dims} dimensions but SemanticCacheOptions.Dimensions is {options.Dimensions}: set Dimensions to {dims}.");
        }
    }

    /// <summary>Items in the expiry queue, stale ones included (tests and diagnostics).</summary>
    internal int ExpiryQueueLength
    {
        get
        {
            lock (_gate) { return _expiries.Count; }
        }
    }

    /// <summary>
    /// Items held by every in-memory structure that grows with traffic (entries, lists, tag sets,
    /// expiry queue, flights, partitions): zero for a cache with nothing cached. Tests use it
    /// to show that nothing is left behind.
    /// </summary>
    internal long TrackedItems
    {
        get
        {
            lock (_gate)
            {
                long tags = 0;
                foreach (var tenant in _tenants.Values) { tags += tenant.Tags.Count + tenant.Entries.Count; }
                return _entries.Count + _all.Count + _expiries.Count + _flights.Count + _partitions.Count + tags;
            }
        }
    }

    /// <summary>The partition registry (tests and diagnostics read its counters).</summary>
    internal PartitionRegistry Partitions => _partitions;

    /// <summary>
    /// Where the process memory of this engine is (diagnostics, soaks): the store's log held in native memory
    /// (InMemory mode), its log and index pinned on the managed heap, and the partition indexes' real size.
    /// </summary>
    internal (long NativeLogBytes, long ManagedLogBytes, long StoreLogBytes, long IndexBytes) MemoryBreakdown =>
        _store is FasterEntryStore faster
            ? (faster.NativeLogBytes, faster.ManagedLogBytes, faster.LogBytes, _partitions.MemoryBytes)
            : (0, 0, 0, _partitions.MemoryBytes);

    /// <summary>Index snapshots reused at open (partitions that did not have to be rebuilt).</summary>
    internal int SnapshotsLoaded { get; }

    private long NowTicks => _time.GetUtcNow().UtcTicks;

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>
    /// Marks a public operation as running, so that disposal waits for it before it frees the
    /// indexes' native memory (a search must never run on freed memory).
    /// </summary>
    private Operation Enter()
    {
        Interlocked.Increment(ref _active);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _active);
            throw new ObjectDisposedException(nameof(SemanticCache));
        }

        return new Operation(this);
    }

    private readonly struct Operation(SemanticCache cache) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref cache._active);
    }

    /// <summary>
    /// A partition's fixed cost, charged to its tenant when it is created and given back when it is dropped,
    /// with the tenant's partition and kernel counts (what per-tenant stats and quota checks read in O(1)).
    /// </summary>
    private void ChargePartition(Partition partition, long bytes)
    {
        var tenant = TenantFor(partition.Tenant);
        var delta = bytes < 0 ? -1 : 1;
        Interlocked.Add(ref tenant.Bytes, bytes);
        Interlocked.Add(ref _totalBytes, bytes);
        Interlocked.Add(ref tenant.Partitions, delta);
        tenant.Kernels.AddOrUpdate(partition.KernelKey, delta, (_, count) => count + delta);
    }

    /// <summary>
    /// Logs, once per partition, a background index maintenance (promotion, rebuild) that failed: the index
    /// only records it, and an operator must learn that the partition now scans exactly and keeps its
    /// tombstones. Checked where writes schedule maintenance and by the periodic sweep.
    /// </summary>
    private void ReportMaintenanceFault(Partition partition)
    {
        if (partition.TryClaimFaultReport())
        {
            Log.IndexMaintenanceFailed(_logger, partition.Tenant, partition.Index.Count, partition.Index.MaintenanceFault!);
        }
    }

    /// <summary>The periodic sweep: a fault that no later write to its partition noticed is logged here.</summary>
    private void ReportMaintenanceFaults()
    {
        foreach (var partition in _partitions.All) { ReportMaintenanceFault(partition); }
    }

    private TenantState TenantFor(string tenant) => _tenants.GetOrAdd(tenant, static t => new TenantState(t));

    private static UInt128 Key128(ReadOnlySpan<byte> hash) =>
        new(BitConverter.ToUInt64(hash), BitConverter.ToUInt64(hash[8..]));

    public async ValueTask CheckpointAsync(CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        await _store.CheckpointAsync(cancellationToken);
        WriteSnapshots(force: false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) { return; }
        await _shutdown.CancelAsync();
        try
        {
            await _maintenance;
        }
        catch (OperationCanceledException)
        {
        }

        // Operations that started before disposal finish first: the store and the indexes' native
        // memory are never freed under a running operation, however long it takes (a slow
        // GetOrCreate factory holds disposal, and says so in the log, rather than crash on freed memory).
        await WaitForOperationsAsync();
        try
        {
            WriteSnapshots(force: false);
        }
        finally
        {
            await _store.DisposeAsync();
            _partitions.Dispose();
            _telemetry.Dispose();
            _costs.Dispose();
            _shutdown.Dispose();
            foreach (var s in _storeStripes) { s.Dispose(); }
        }
    }

    private async Task WaitForOperationsAsync()
    {
        var started = _time.GetTimestamp();
        var warned = TimeSpan.Zero;
        while (Volatile.Read(ref _active) != 0)
        {
            await Task.Delay(5, CancellationToken.None);
            var waited = Stopwatch.GetElapsedTime(started, _time.GetTimestamp());
            if (waited - warned >= TimeSpan.FromSeconds(30))
            {
                warned = waited;
                Log.DisposeWaiting(_logger, Volatile.Read(ref _active), (long)waited.TotalSeconds);
            }
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task MaintenanceLoopAsync()
    {
        var lastSnapshot = _time.GetTimestamp();
        try
        {
            // Stale records recovery found (expired, replaced) leave the store in one batch.
            await DeleteStaleAsync();
        }
#pragma warning disable CA1031 // Retried at the next open; the failure is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.MaintenanceFailed(_logger, e);
        }

        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _time);
        while (await timer.WaitForNextTickAsync(_shutdown.Token))
        {
            try
            {
                await RemoveExpiredAsync(_shutdown.Token);
                if (_time.GetElapsedTime(lastSnapshot) >= _options.CheckpointInterval)
                {
                    lastSnapshot = _time.GetTimestamp();
                    ReportMaintenanceFaults();
                    WriteSnapshots(force: false);
                }
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The maintenance loop must survive a failed round; the failure is logged.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Log.MaintenanceFailed(_logger, e);
            }
        }
    }
}
