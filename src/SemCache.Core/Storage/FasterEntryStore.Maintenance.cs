using FASTER.core;

namespace SemCache.Storage;

internal sealed partial class FasterEntryStore
{
    /// <inheritdoc/>
    /// <remarks>A no-op in InMemory mode. In Durable mode it also lets the write-ahead log be truncated.</remarks>
    public async ValueTask CheckpointAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        if (_checkpointManager is null)
            return;
        await _maintenance.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CheckpointCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _maintenance.Release();
        }
    }

    /// <summary>Compacts the log now if anything is reclaimable (tests and tools; the background loop decides by itself).</summary>
    public async ValueTask<bool> CompactAsync(CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        await _maintenance.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CompactCoreAsync(force: true, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _maintenance.Release();
        }
    }

    /// <summary>Caller holds <see cref="_maintenance"/>.</summary>
    private async Task CheckpointCoreAsync(CancellationToken cancellationToken)
    {
        // A faulted store holds records whose writers were told they failed: a checkpoint now would
        // make them durable. Restart recovers from the last checkpoint and the committed log instead.
        if (FaultReason is not null)
            return;

        var mutations = Interlocked.Read(ref _mutations);
        PersistMaxEntryId();

        // Every write whose log record lies before this position has also reached the store (writers hold
        // the shared side of the gate across both steps), so the checkpoint below covers all of them.
        long walPosition = 0;
        if (_wal is not null)
        {
            _walGate.EnterWriteLock();
            try
            {
                walPosition = _wal.TailAddress;
            }
            finally
            {
                _walGate.ExitWriteLock();
            }
        }

        _store.CommitCookie = EncodeCookie(walPosition);
        var (success, token) = await _store.TakeFullCheckpointAsync(CheckpointType.FoldOver, cancellationToken).ConfigureAwait(false);
        if (!success)
        {
            StorageLog.CheckpointBusy(_logger);
            return;
        }

        _checkpointedMutations = mutations;
        _wal?.TruncateUntil(walPosition);
        Interlocked.Increment(ref _checkpointCount);
        StorageLog.CheckpointTaken(_logger, token, _store.Log.BeginAddress, _store.Log.TailAddress);
    }

    /// <summary>Caller holds <see cref="_maintenance"/>.</summary>
    private async Task<bool> CompactCoreAsync(bool force, CancellationToken cancellationToken)
    {
        var log = _store.Log;
        var begin = log.BeginAddress;
        var logBytes = log.TailAddress - begin;
        if (Volatile.Read(ref _activeScans) > 0 || logBytes <= 0)
            return false;

        var persistent = _checkpointManager is not null;
        var minBytes = persistent ? _options.CompactionMinLogBytes : Math.Min(_options.CompactionMinLogBytes, log.MemorySizeBytes / 2);
        var reclaimable = 1.0 - ((double)Interlocked.Read(ref _liveBytes) / logBytes);
        if (!force && (logBytes < minBytes || reclaimable < _options.CompactionReclaimableFraction))
            return false;

        // Only the immutable part moves: records there are never updated in place, so copying is safe while
        // readers and writers carry on. Persistent modes get an immutable prefix from each fold-over checkpoint;
        // InMemory mode has no checkpoints, so it marks the log read-only up to the tail (the implied flush is a
        // copy of the in-memory pages into the native device).
        if (!persistent)
            log.ShiftReadOnlyAddress(log.TailAddress, wait: true);
        var until = log.SafeReadOnlyAddress;
        if (until <= begin)
            return false;

        PersistMaxEntryId();
        var session = _sessions.Rent();
        try
        {
            session.Compact(until, CompactionType.Lookup);
        }
        finally
        {
            _sessions.Return(session);
        }

        Interlocked.Increment(ref _mutations);
        if (persistent)
        {
            // The new begin address must be in a checkpoint before the files below it are deleted;
            // otherwise a crash would recover a checkpoint that points into deleted segments.
            await CheckpointCoreAsync(cancellationToken).ConfigureAwait(false);
        }

        // Frees the device's segments below the new begin address (files, or native memory in InMemory mode).
        log.Truncate();

        // The engine frees native memory all the time (vector arenas of dropped and rebuilt partitions);
        // a compaction is a natural moment to hand what is free back to the operating system.
        NativeHeap.Trim();

        Interlocked.Increment(ref _compactionCount);
        StorageLog.Compacted(_logger, until, logBytes, log.TailAddress - log.BeginAddress);
        return true;
    }

    private async Task MaintenanceLoopAsync()
    {
        var time = _options.TimeProvider;
        var tick = _options.CheckpointInterval < TimeSpan.FromSeconds(1) ? _options.CheckpointInterval : TimeSpan.FromSeconds(1);
        var lastCheckpoint = time.GetTimestamp();
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(tick, time, _stop.Token).ConfigureAwait(false);
                await _maintenance.WaitAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    if (_checkpointManager is not null && time.GetElapsedTime(lastCheckpoint) >= _options.CheckpointInterval)
                    {
                        if (Interlocked.Read(ref _mutations) != _checkpointedMutations)
                            await CheckpointCoreAsync(_stop.Token).ConfigureAwait(false);
                        lastCheckpoint = time.GetTimestamp();
                    }

                    // Compaction truncates the log the last checkpoint may need; a faulted store keeps it.
                    if (FaultReason is null)
                        await CompactCoreAsync(force: false, _stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    _maintenance.Release();
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // The loop must survive a failed checkpoint or compaction and retry later.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                StorageLog.MaintenanceFailed(_logger, ex);
            }
        }
    }
}
