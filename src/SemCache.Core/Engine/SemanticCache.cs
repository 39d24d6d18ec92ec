using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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

    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<long, EntryMeta> _entries = new();
    private readonly ConcurrentDictionary<UInt128, Partition> _partitions = new();
    private readonly ConcurrentDictionary<string, TenantState> _tenants = new(StringComparer.Ordinal);
    private readonly Dictionary<UInt128, long> _exact = [];
    private readonly List<EntryMeta> _all = [];
    private readonly PriorityQueue<long, long> _expiries = new();
    private readonly ConcurrentDictionary<UInt128, Task<CacheLookupResult>> _flights = new();
    private readonly SemaphoreSlim[] _storeStripes;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task _maintenance;

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
        ICandidateRescorer? rescorer = null)
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
        _telemetry = new SemCacheTelemetry(meterFactory, () => _entries.Count, () => Interlocked.Read(ref _totalBytes));
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
        _indexDirectory = options.Durability == CacheDurability.InMemory ? null : Path.Combine(options.DataDirectory, "index");
        _storeStripes = new SemaphoreSlim[StoreStripes];
        for (var i = 0; i < _storeStripes.Length; i++) { _storeStripes[i] = new SemaphoreSlim(1, 1); }

        var sw = Stopwatch.StartNew();
        SnapshotsLoaded = Recover();
        Log.Opened(_logger, _entries.Count, _partitions.Count, options.DataDirectory, options.Durability, sw.ElapsedMilliseconds, SnapshotsLoaded);
        Log.Kernels(_logger, VectorScorers.Describe(), options.VectorEncoding);
        _maintenance = Task.Run(MaintenanceLoopAsync);
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

        // Operations that started before disposal finish first; one that never ends (a stuck
        // GetOrCreate factory) leaves the indexes to the finalizer rather than freed under it.
        var drained = SpinWait.SpinUntil(() => Volatile.Read(ref _active) == 0, TimeSpan.FromSeconds(30));
        try
        {
            WriteSnapshots(force: false);
        }
        finally
        {
            await _store.DisposeAsync();
            if (drained)
            {
                foreach (var p in _partitions.Values) { p.Dispose(); }
            }

            _telemetry.Dispose();
            _shutdown.Dispose();
            foreach (var s in _storeStripes) { s.Dispose(); }
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task MaintenanceLoopAsync()
    {
        var lastSnapshot = _time.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500), _time);
        while (await timer.WaitForNextTickAsync(_shutdown.Token))
        {
            try
            {
                await RemoveExpiredAsync(_shutdown.Token);
                if (_time.GetElapsedTime(lastSnapshot) >= _options.CheckpointInterval)
                {
                    lastSnapshot = _time.GetTimestamp();
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
