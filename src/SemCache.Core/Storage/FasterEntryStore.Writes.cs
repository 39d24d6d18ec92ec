using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using FASTER.core;

namespace SemCache.Storage;

using Session = ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>>;

internal sealed partial class FasterEntryStore
{
    /// <summary>Write-ahead record kinds (first byte). A put carries the encoded entry; a delete its id and exact key.</summary>
    private const byte WalPut = 1;
    private const byte WalDelete = 2;
    private const int WalDeleteLength = 1 + sizeof(long) + StoreKeys.ExactKeyBytes + sizeof(uint);

    /// <inheritdoc/>
    /// <remarks>
    /// Durable: completes once the write-ahead log commit covering the entry is on the device. Fast and
    /// InMemory: completes synchronously from memory. If <paramref name="cancellationToken"/> fires while a
    /// Durable put waits for its commit, the entry is already visible and becomes durable with the next commit;
    /// only the wait is abandoned.
    /// </remarks>
    public ValueTask PutAsync(CacheEntryRecord entry, CancellationToken cancellationToken)
    {
        ValidateEntry(entry);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        ThrowIfFaulted();

        var valueLength = EntryRecordCodec.GetEncodedLength(entry);
        if (valueLength > _maxValueLength)
        {
            throw new ArgumentException(
                $"The entry encodes to {valueLength} bytes; the store accepts at most {_maxValueLength} (raise PageSizeBits).",
                nameof(entry));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(valueLength + 1);
        long commitAddress;
        try
        {
            buffer[0] = WalPut;
            var written = EntryRecordCodec.Encode(entry, buffer.AsSpan(1));
            lock (StripeOf(entry.ExactKey))
            {
                commitAddress = LogAndApply(buffer.AsSpan(0, written + 1));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        RaiseMaxEntryId(entry.Id);
        Interlocked.Add(ref _liveBytes, valueLength + RecordOverheadBytes);
        Interlocked.Increment(ref _mutations);
        return _wal is null ? ValueTask.CompletedTask : _wal.WaitForCommitAsync(commitAddress, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask<bool> DeleteAsync(long entryId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        ThrowIfFaulted();
        if (entryId <= 0)
            return false;

        var commitAddress = DeleteCore(entryId, out var deleted);
        if (!deleted)
            return false;
        if (_wal is not null)
            await _wal.WaitForCommitAsync(commitAddress, cancellationToken).ConfigureAwait(false);
        return true;
    }

    private long DeleteCore(long entryId, out bool deleted)
    {
        deleted = false;

        // The stripe is chosen by the exact key, which only the stored value knows.
        if (!TryReadEntryValue(entryId, out var value))
            return 0;
        if (!EntryRecordCodec.TryPeekExactKey(value, out var exactKeySpan))
        {
            ReportCorrupt("entry", entryId);
            return 0;
        }

        Span<byte> record = stackalloc byte[WalDeleteLength];
        record[0] = WalDelete;
        BinaryPrimitives.WriteInt64LittleEndian(record[1..], entryId);
        exactKeySpan.CopyTo(record[(1 + sizeof(long))..]);
        BinaryPrimitives.WriteUInt32LittleEndian(record[^sizeof(uint)..], Crc32.HashToUInt32(record[..^sizeof(uint)]));

        long commitAddress;
        lock (StripeOf(exactKeySpan))
        {
            // Re-check under the stripe: of two concurrent deletes of one id only one reports success.
            if (!EntryExists(entryId))
                return 0;
            commitAddress = LogAndApply(record);
        }

        deleted = true;
        Interlocked.Add(ref _liveBytes, -(value.Length + RecordOverheadBytes));
        Interlocked.Increment(ref _mutations);
        return commitAddress;
    }

    /// <summary>
    /// Refuses a write once a commit failed. What the failed commit covered stays applied in memory
    /// (the engine never learnt of it, so it serves none of it), but no checkpoint or commit is taken
    /// from then on, so a restart recovers only what was acknowledged.
    /// </summary>
    internal void ThrowIfFaulted()
    {
        if (_wal?.Fault is { } fault)
            throw new StoreFaultedException(fault.Reason, fault);
    }

    /// <summary>Why the store refuses writes, or null while it is healthy.</summary>
    internal string? FaultReason => _wal?.Fault?.Reason;

    private Lock StripeOf(ReadOnlySpan<byte> exactKey) =>
        _stripes[BinaryPrimitives.ReadUInt32LittleEndian(exactKey) & (StripeCount - 1)];

    /// <summary>
    /// Appends the record to the write-ahead log (Durable) and applies it to the store, both under the shared
    /// side of the gate so a checkpoint never sees a record in the log but not yet in the store.
    /// </summary>
    private long LogAndApply(ReadOnlySpan<byte> record)
    {
        var session = _sessions.Rent();
        try
        {
            if (_wal is null)
            {
                ApplyRecord(session, record, verify: false);
                return 0;
            }

            _walGate.EnterReadLock();
            try
            {
                var commitAddress = _wal.Append(record);
                ApplyRecord(session, record, verify: false);
                return commitAddress;
            }
            finally
            {
                _walGate.ExitReadLock();
            }
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    /// <summary>Applies a write-ahead record to the store (live writes and replay share this); false when it is corrupt.</summary>
    private bool ApplyRecord(Session session, ReadOnlySpan<byte> record, bool verify)
    {
        if (record.IsEmpty)
            return false;
        switch (record[0])
        {
            case WalPut:
                return ApplyPut(session, record[1..], verify);
            case WalDelete:
                if (record.Length != WalDeleteLength
                    || (verify && Crc32.HashToUInt32(record[..^sizeof(uint)]) != BinaryPrimitives.ReadUInt32LittleEndian(record[^sizeof(uint)..])))
                    return false;
                ApplyDelete(session, BinaryPrimitives.ReadInt64LittleEndian(record[1..]), record.Slice(1 + sizeof(long), StoreKeys.ExactKeyBytes));
                return true;
            default:
                return false;
        }
    }

    private bool ApplyPut(Session session, ReadOnlySpan<byte> value, bool verify)
    {
        if (!EntryRecordCodec.TryPeekId(value, out var entryId) || !EntryRecordCodec.TryPeekExactKey(value, out var exactKey))
            return false;
        if (verify && !EntryRecordCodec.HasValidChecksum(value))
            return false;

        Span<byte> entryKey = stackalloc byte[StoreKeys.EntryKeyLength];
        StoreKeys.WriteEntryKey(entryKey, entryId);
        Upsert(session, entryKey, value);

        Span<byte> exactStoreKey = stackalloc byte[StoreKeys.ExactKeyLength];
        StoreKeys.WriteExactKey(exactStoreKey, exactKey);
        Span<byte> idValue = stackalloc byte[StoreKeys.IdValueLength];
        StoreKeys.WriteIdValue(idValue, exactStoreKey, entryId);
        Upsert(session, exactStoreKey, idValue);
        RaiseMaxEntryId(entryId);
        return true;
    }

    private void ApplyDelete(Session session, long entryId, ReadOnlySpan<byte> exactKey)
    {
        Span<byte> entryKey = stackalloc byte[StoreKeys.EntryKeyLength];
        StoreKeys.WriteEntryKey(entryKey, entryId);
        Delete(session, entryKey);

        // The exact key goes only while it still names this entry: a newer put for the same prompt keeps it.
        Span<byte> exactStoreKey = stackalloc byte[StoreKeys.ExactKeyLength];
        StoreKeys.WriteExactKey(exactStoreKey, exactKey);
        if (TryReadId(session, exactStoreKey, out var current) == IdRead.Found && current == entryId)
            Delete(session, exactStoreKey);
    }

    /// <summary>Persists the highest id ever stored, so compaction may drop the records of deleted entries.</summary>
    private void PersistMaxEntryId()
    {
        Span<byte> key = stackalloc byte[StoreKeys.MetaKeyLength];
        StoreKeys.WriteMetaKey(key, StoreKeys.MaxEntryIdMeta);
        Span<byte> value = stackalloc byte[StoreKeys.IdValueLength];
        StoreKeys.WriteIdValue(value, key, MaxEntryId);
        var session = _sessions.Rent();
        try
        {
            Upsert(session, key, value);
        }
        finally
        {
            _sessions.Return(session);
        }
    }

    private static unsafe void Upsert(Session session, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        fixed (byte* keyPointer = key)
        fixed (byte* valuePointer = value)
        {
            var keyBytes = SpanByte.FromFixedSpan(key);
            var valueBytes = SpanByte.FromFixedSpan(value);
            var status = session.Upsert(ref keyBytes, ref valueBytes);
            if (status.IsPending)
                session.CompletePending(wait: true);
        }
    }

    private static unsafe void Delete(Session session, ReadOnlySpan<byte> key)
    {
        fixed (byte* keyPointer = key)
        {
            var keyBytes = SpanByte.FromFixedSpan(key);
            var status = session.Delete(ref keyBytes);
            if (status.IsPending)
                session.CompletePending(wait: true);
        }
    }

    private static void ValidateEntry(CacheEntryRecord entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.Id <= 0)
            throw new ArgumentOutOfRangeException(nameof(entry), entry.Id, "Id must be positive.");
        if (!IsFingerprint(entry.ScopeFingerprint) || !IsFingerprint(entry.ContextFingerprint) || !IsFingerprint(entry.ExactKey))
        {
            throw new ArgumentException(
                $"ScopeFingerprint, ContextFingerprint and ExactKey must each be {StoreKeys.ExactKeyBytes} bytes.", nameof(entry));
        }

        if (entry.Tenant is null || entry.Prompt is null || entry.Response is null || entry.Tags is null)
            throw new ArgumentException("Tenant, Prompt, Response and Tags must not be null.", nameof(entry));
        foreach (var tag in entry.Tags)
        {
            if (tag is null)
                throw new ArgumentException("Tags must not contain null.", nameof(entry));
        }
    }

    private static bool IsFingerprint(byte[]? value) => value is { Length: StoreKeys.ExactKeyBytes };
}
