using FASTER.core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SemCache.Storage;

/// <summary>
/// <see cref="IEntryStore"/> on one FASTER key-value store with <see cref="SpanByte"/> keys and values (no object
/// log). Entries live under <c>'E' ‖ id</c>, exact keys under <c>'X' ‖ 32-byte hash</c> → id, and the highest id
/// ever stored under a metadata key. Values carry a checksum (see <see cref="EntryRecordCodec"/>); a value that
/// fails it is counted in <see cref="CorruptRecordCount"/>, logged and never served.
/// </summary>
/// <remarks>
/// <para><b>Durability.</b></para>
/// <list type="bullet">
/// <item><see cref="CacheDurability.Durable"/>: every put and delete is appended to a write-ahead log (a FasterLog)
/// and applied to the store; the call completes only once the log commit that covers it has reached the device
/// (files are written with write-through). Concurrent writers share commits: one committer flushes everything
/// appended while the previous flush ran. Checkpoints of the store (every <see cref="EntryStoreOptions.CheckpointInterval"/>)
/// record the log position they cover; recovery loads the latest checkpoint and replays the committed log after
/// that position, then the log is truncated at the next checkpoint. Nothing acknowledged is lost by a crash
/// (kill -9) of the process.</item>
/// <item><see cref="CacheDurability.Fast"/>: writes are acknowledged from memory; a background checkpoint every
/// <see cref="EntryStoreOptions.CheckpointInterval"/> (and one at dispose) makes them durable. A crash loses at most
/// the writes since the last completed checkpoint, i.e. about one interval plus the checkpoint's own duration.</item>
/// <item><see cref="CacheDurability.InMemory"/>: no files at all; the store is empty after a restart. The log's
/// newest pages are FASTER's in-memory log (<see cref="EntryStoreOptions.LogMemorySizeBits"/>, pinned managed
/// pages); older pages are flushed to a <see cref="NativeMemoryDevice"/> and read back on demand, so records
/// live off the managed heap and nothing is dropped. Compaction truncates the log behind the live records and
/// the device frees those segments.</item>
/// </list>
/// <para><b>Why a separate write-ahead log rather than frequent fold-over checkpoints.</b> A FASTER checkpoint is a
/// state machine that every active session must pass through, writes the hash index and metadata, and makes the
/// whole log read-only; doing one per group commit makes latency depend on the slowest session and grows the log.
/// A FasterLog commit is one sequential append plus a small metadata write, naturally batches concurrent writers,
/// and its replay is idempotent (puts carry the full value; deletes are conditional on the id), so the checkpoint
/// can stay periodic and cheap.</para>
/// <para><b>Ordering.</b> Writes touching the same exact key are serialised by a striped lock, so the order in
/// the log equals the order applied to the store and replay reproduces the same state. A checkpoint takes the log
/// position while no write is between its log append and its store update, so every record before that position
/// is in the checkpoint.</para>
/// <para><b>Sessions.</b> FASTER sessions are pooled and always returned with no pending operation, so idle
/// sessions never hold back a checkpoint.</para>
/// </remarks>
internal sealed partial class FasterEntryStore : IEntryStore
{
    private const int StripeCount = 64;

    /// <summary>Log bytes an entry costs beyond its value: record headers, keys and the exact-key record.</summary>
    private const int RecordOverheadBytes = 96;

    private readonly EntryStoreOptions _options;
    private readonly ILogger _logger;
    private readonly IDevice _logDevice;
    private readonly FileStream? _directoryLock;
    private readonly ICheckpointManager? _checkpointManager;
    private readonly FasterKV<SpanByte, SpanByte> _store;
    private readonly SessionPool _sessions;
    private readonly WriteAheadLog? _wal;
    private readonly Lock[] _stripes;
    private readonly ReaderWriterLockSlim _walGate = new(LockRecursionPolicy.NoRecursion);
    private readonly SemaphoreSlim _maintenance = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _maxValueLength;
    private Task _maintenanceLoop = Task.CompletedTask;
    private long _maxEntryId;
    private long _mutations;
    private long _checkpointedMutations;
    private long _liveBytes;
    private long _corruptRecords;
    private long _checkpointCount;
    private long _compactionCount;
    private int _activeScans;
    private int _disposed;
    private LivenessMap? _openScan;

    private FasterEntryStore(
        EntryStoreOptions options,
        ILogger logger,
        IDevice logDevice,
        FileStream? directoryLock,
        ICheckpointManager? checkpointManager,
        FasterKV<SpanByte, SpanByte> store,
        WriteAheadLog? wal)
    {
        _options = options;
        _logger = logger;
        _logDevice = logDevice;
        _directoryLock = directoryLock;
        _checkpointManager = checkpointManager;
        _store = store;
        _wal = wal;
        _sessions = new SessionPool(store);
        _stripes = new Lock[StripeCount];
        for (var i = 0; i < _stripes.Length; i++)
            _stripes[i] = new Lock();

        // A record must fit in one page of the store's log and of the write-ahead log.
        _maxValueLength = (1 << options.PageSizeBits) - 256;
    }

    /// <inheritdoc/>
    public long MaxEntryId => Volatile.Read(ref _maxEntryId);

    /// <summary>Durability mode the store was opened with.</summary>
    public CacheDurability Durability => _options.Durability;

    /// <summary>Records that failed their checksum (on read, scan or replay) since open.</summary>
    public long CorruptRecordCount => Interlocked.Read(ref _corruptRecords);

    /// <summary>Checkpoints completed since open.</summary>
    public long CheckpointCount => Interlocked.Read(ref _checkpointCount);

    /// <summary>Compactions completed since open.</summary>
    public long CompactionCount => Interlocked.Read(ref _compactionCount);

    /// <summary>Bytes between the log's begin and tail (live and reclaimable records).</summary>
    public long LogBytes => _store.Log.TailAddress - _store.Log.BeginAddress;

    /// <summary>Native memory held by the log's older pages in InMemory mode (0 in persistent modes).</summary>
    public long NativeLogBytes => (_logDevice as NativeMemoryDevice)?.AllocatedBytes ?? 0;

    /// <summary>Managed (pinned) bytes of the log's in-memory pages, as configured; the hash index is beside them.</summary>
    public long ManagedLogBytes => _store.Log.MemorySizeBytes;

    /// <summary>Estimate of the log bytes held by live entries.</summary>
    public long LiveBytesEstimate => Interlocked.Read(ref _liveBytes);

    /// <summary>Largest encoded entry the store accepts (bounded by the log page size).</summary>
    public int MaxEncodedEntryLength => _maxValueLength;

    /// <summary>
    /// Opens the store described by <paramref name="options"/>, recovering the latest checkpoint and replaying
    /// the write-ahead log (Durable mode) when the directory already holds a store.
    /// </summary>
    public static FasterEntryStore Open(EntryStoreOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        logger ??= NullLogger.Instance;

        var persistent = options.Durability != CacheDurability.InMemory;
        var root = persistent ? Path.GetFullPath(options.DataDirectory) : string.Empty;
        IDevice? device = null;
        FileStream? directoryLock = null;
        DeviceLogCommitCheckpointManager? checkpoints = null;
        FasterKV<SpanByte, SpanByte>? store = null;
        WriteAheadLog? wal = null;
        try
        {
            if (persistent)
            {
                // Every tenant's prompts and answers: owner-only folders and files.
                PrivateDirectory.Create(root);
                PrivateDirectory.Restrict(root);
                var storeDirectory = Path.Combine(root, "store");
                PrivateDirectory.Create(storeDirectory);
                directoryLock = LockDirectory(root);
                device = Devices.CreateLogDevice(Path.Combine(storeDirectory, "hlog.log"), recoverDevice: true);
                checkpoints = new DeviceLogCommitCheckpointManager(
                    new LocalStorageNamedDeviceFactory(),
                    new DefaultCheckpointNamingScheme(Path.Combine(storeDirectory, "checkpoints")),
                    removeOutdated: true);
            }
            else
            {
                device = new NativeMemoryDevice();
            }

            var logSettings = new LogSettings
            {
                LogDevice = device,
                PageSizeBits = options.PageSizeBits,
                MemorySizeBits = options.LogMemorySizeBits,

                // Native memory is given back a whole segment at a time when compaction truncates the log:
                // small segments (four pages) free it promptly; on disk, fewer files are better.
                SegmentSizeBits = persistent ? options.SegmentSizeBits : Math.Min(options.SegmentSizeBits, options.PageSizeBits + 2),
                MutableFraction = 0.9,
            };
            store = new FasterKV<SpanByte, SpanByte>(
                options.IndexBuckets,
                logSettings,
                checkpointSettings: checkpoints is null ? null : new CheckpointSettings { CheckpointManager = checkpoints });

            var recovered = false;
            long walStart = 0;
            if (checkpoints is not null && checkpoints.GetLogCheckpointTokens().Any())
            {
                store.Recover();
                recovered = true;
                walStart = DecodeCookie(store.RecoveredCommitCookie);
            }

            if (options.Durability == CacheDurability.Durable)
            {
                wal = WriteAheadLog.Open(Path.Combine(root, "wal"), options.PageSizeBits, logger, options.WalDeviceFactory);
                StoreFaults.Clear(root);
            }

            var result = new FasterEntryStore(options, logger, device, directoryLock, checkpoints, store, wal);
            var replayed = wal is null ? 0 : result.ReplayWriteAheadLog(walStart);
            result.LoadState();
            result.WarmUp();
            result._maintenanceLoop = Task.Run(result.MaintenanceLoopAsync);
            StorageLog.Opened(logger, options.Durability, persistent ? root : "(memory)", recovered, replayed, result.MaxEntryId);
            return result;
        }
        catch
        {
            wal?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            store?.Dispose();
            device?.Dispose();
            checkpoints?.Dispose();
            directoryLock?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Compiles the store's read and write paths at open instead of in the first caller's latency: a read
    /// of a key that does not exist, and a write of the highest-id record (what every checkpoint writes
    /// anyway, with the value it already has), which allocates the session and the log's first page too.
    /// </summary>
    private void WarmUp()
    {
        Span<byte> absent = stackalloc byte[StoreKeys.ExactKeyBytes];
        _ = TryGetExact(absent, out _);
        PersistMaxEntryId();
    }

    /// <summary>
    /// Two processes opening one store would corrupt it (FASTER does not lock its files). An exclusive lock
    /// file refuses the second one; the OS drops the lock when the holder dies, so a crash never blocks recovery.
    /// </summary>
    private static FileStream LockDirectory(string root)
    {
        try
        {
            return new FileStream(Path.Combine(root, "LOCK"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The store in '{root}' is already open in another process or instance.", ex);
        }
    }

    private static long DecodeCookie(byte[]? cookie) =>
        cookie is { Length: sizeof(long) } ? System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(cookie) : 0;

    private static byte[] EncodeCookie(long walPosition)
    {
        var cookie = new byte[sizeof(long)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(cookie, walPosition);
        return cookie;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void ReportCorrupt(string kind, long key)
    {
        Interlocked.Increment(ref _corruptRecords);
        StorageLog.CorruptRecord(_logger, kind, key.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private void RaiseMaxEntryId(long id)
    {
        var current = Volatile.Read(ref _maxEntryId);
        while (id > current)
        {
            var seen = Interlocked.CompareExchange(ref _maxEntryId, id, current);
            if (seen == current)
                return;
            current = seen;
        }
    }

    /// <summary>
    /// Stops background work, takes a final checkpoint (so a clean shutdown loses nothing in Fast mode and
    /// replays nothing in Durable mode), then closes the store and its files.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _maintenanceLoop.ConfigureAwait(false);
        await _maintenance.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_checkpointManager is not null && Interlocked.Read(ref _mutations) != _checkpointedMutations)
                await CheckpointCoreAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            if (_wal is not null)
                await _wal.DisposeAsync().ConfigureAwait(false);
            _sessions.Dispose();
            _store.Dispose();
            _logDevice.Dispose();
            _checkpointManager?.Dispose();
            _directoryLock?.Dispose();
            _walGate.Dispose();
            _stop.Dispose();
            _maintenance.Dispose();
        }
    }
}
