using System.Threading.Channels;
using FASTER.core;
using Microsoft.Extensions.Logging;

namespace SemCache.Storage;

/// <summary>
/// The Durable mode's write-ahead log: a FasterLog whose commits are shared by every writer waiting at the
/// time (group commit). One committer task issues a commit whenever someone waits; writers that arrive
/// while a commit is in flight are all covered by the next one, so N concurrent writers cost about one
/// device round trip each batch instead of N.
/// A failed commit faults the log for good: every writer of the failed batch and every later one is
/// refused, and no later commit (not even the one at disposal) may make the failed records durable,
/// since their writers were told they failed.
/// </summary>
internal sealed class WriteAheadLog : IAsyncDisposable
{
    private readonly IDevice _device;
    private readonly FasterLog _log;
    private readonly ILogger _logger;
    private readonly Channel<bool> _commitRequests = Channel.CreateBounded<bool>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _committer;
    private readonly string _dataDirectory;
    private TaskCompletionSource _nextCommit = NewCommitSignal();
    private long _committedUntil;
    private volatile StoreFaultedException? _fault;

    private WriteAheadLog(IDevice device, FasterLog log, ILogger logger, string dataDirectory)
    {
        _dataDirectory = dataDirectory;
        _device = device;
        _log = log;
        _logger = logger;
        _committedUntil = log.CommittedUntilAddress;
        _committer = Task.Run(CommitLoopAsync);
    }

    /// <summary>
    /// Opens (and recovers, when it exists) the log in <paramref name="directory"/>, a folder of the
    /// store's data directory. <paramref name="createDevice"/> replaces the file device (fault tests).
    /// </summary>
    public static WriteAheadLog Open(string directory, int pageSizeBits, ILogger logger, Func<string, IDevice>? createDevice = null)
    {
        PrivateDirectory.Create(directory);
        var path = Path.Combine(directory, "wal.log");
        var device = createDevice?.Invoke(path) ?? Devices.CreateLogDevice(path, recoverDevice: true);
        try
        {
            var settings = new FasterLogSettings
            {
                LogDevice = device,
                PageSizeBits = pageSizeBits,
                MemorySizeBits = pageSizeBits + 2,
                SegmentSizeBits = Math.Max(pageSizeBits, 28),
                LogCommitDir = Path.Combine(directory, "commits"),
                RemoveOutdatedCommits = true,
            };
            var log = new FasterLog(settings, logger);
            return new WriteAheadLog(device, log, logger, Path.GetDirectoryName(Path.GetFullPath(directory))!);
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    /// <summary>Set once a commit failed; from then on the log refuses every write.</summary>
    public StoreFaultedException? Fault => _fault;

    /// <summary>First address that recovery must replay from (everything before it was truncated).</summary>
    public long BeginAddress => _log.BeginAddress;

    /// <summary>End of the committed (durable) part.</summary>
    public long CommittedUntilAddress => _log.CommittedUntilAddress;

    /// <summary>Address the next record will get.</summary>
    public long TailAddress => _log.TailAddress;

    /// <summary>Appends a record to the in-memory tail; returns the address its commit must reach.</summary>
    public long Append(ReadOnlySpan<byte> record)
    {
        _log.Enqueue(record);
        return _log.TailAddress;
    }

    /// <summary>Completes once everything before <paramref name="untilAddress"/> is committed to the device.</summary>
    public async ValueTask WaitForCommitAsync(long untilAddress, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Take the signal before reading the committed address: a commit that lands in between then
            // either shows in the address or completes the signal, so no wake-up is lost.
            var signal = Volatile.Read(ref _nextCommit);
            if (Volatile.Read(ref _committedUntil) >= untilAddress)
                return;
            _commitRequests.Writer.TryWrite(true);
            await signal.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Drops records before <paramref name="untilAddress"/> (a record boundary); persisted with the next commit.</summary>
    public void TruncateUntil(long untilAddress)
    {
        if (untilAddress > _log.BeginAddress)
        {
            _log.TruncateUntil(untilAddress);
            _commitRequests.Writer.TryWrite(true);
        }
    }

    /// <summary>Committed records from <paramref name="fromAddress"/> on, in log order.</summary>
    public IEnumerable<(long Address, byte[] Record, int Length)> ReadCommitted(long fromAddress)
    {
        var begin = Math.Max(fromAddress, _log.BeginAddress);
        var end = _log.CommittedUntilAddress;
        if (begin >= end)
            yield break;
        using var iterator = _log.Scan(begin, end);
        while (iterator.GetNext(out byte[] record, out var length, out var address))
            yield return (address, record, length);
    }

    private async Task CommitLoopAsync()
    {
        var reader = _commitRequests.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                reader.TryRead(out _);
                await CommitOnceAsync().ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task CommitOnceAsync()
    {
        // Faulted: never commit again, or the records of writers told "failed" would become durable.
        var failure = _fault ?? await TryCommitAsync().ConfigureAwait(false);

        var completed = Interlocked.Exchange(ref _nextCommit, NewCommitSignal());
        if (failure is null)
            completed.SetResult();
        else
            completed.SetException(failure);
    }

    private async Task<Exception?> TryCommitAsync()
    {
        try
        {
            var target = _log.TailAddress;
            _log.Commit(spinWait: false);
            await _log.WaitForCommitAsync(target, 0, _stop.Token).ConfigureAwait(false);
            Volatile.Write(ref _committedUntil, _log.CommittedUntilAddress);
            return null;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return new ObjectDisposedException(nameof(WriteAheadLog));
        }
#pragma warning disable CA1031 // Any commit failure must reach the waiting writers instead of killing the committer.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            StorageLog.WalCommitFailed(_logger, ex);
            var fault = new StoreFaultedException($"a write-ahead log commit failed ({ex.GetBaseException().Message})", ex);
            _fault = fault;
            StoreFaults.Report(_dataDirectory, fault.Reason);
            StorageLog.StoreFaulted(_logger, _dataDirectory, fault.Reason);
            return fault;
        }
    }

    private static TaskCompletionSource NewCommitSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Commits what is left, then closes the log and its device.</summary>
    public async ValueTask DisposeAsync()
    {
        _commitRequests.Writer.TryComplete();
        try
        {
            await _committer.ConfigureAwait(false);
            if (_fault is null)
                await CommitOnceAsync().ConfigureAwait(false);
        }
        finally
        {
            _stop.Cancel();
            Interlocked.Exchange(ref _nextCommit, NewCommitSignal()).TrySetException(new ObjectDisposedException(nameof(WriteAheadLog)));
            _log.Dispose();
            _device.Dispose();
            _stop.Dispose();
        }
    }
}
