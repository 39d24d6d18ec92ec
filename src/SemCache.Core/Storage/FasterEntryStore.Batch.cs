using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using FASTER.core;

namespace SemCache.Storage;

using Session = ClientSession<SpanByte, SpanByte, SpanByte, SpanByteAndMemory, Empty, SpanByteFunctions<Empty>>;

internal sealed partial class FasterEntryStore
{
    /// <summary>
    /// Write-ahead record kind of a batch of deletes. Layout: kind, batch id (8), chunk index (4),
    /// chunk count (4), deletes in this chunk (4), then per delete the entry id (8) and exact key
    /// (32), then a CRC-32 of everything before it.
    /// </summary>
    private const byte WalDeleteBatch = 3;
    private const int BatchHeaderLength = 1 + sizeof(long) + (3 * sizeof(int));
    private const int BatchItemLength = sizeof(long) + StoreKeys.ExactKeyBytes;

    /// <summary>
    /// Batch ids start at a random point in each process: a crash can leave a batch's first chunks
    /// committed and its last ones lost, and a later process's batch must never complete it.
    /// </summary>
    private long _nextBatchId = Random.Shared.NextInt64();

    /// <summary>
    /// Most deletes one write-ahead record carries; by default as many as fit in a log page. Tests set
    /// it small to make batches span several records.
    /// </summary>
    internal int MaxDeletesPerLogRecord { get; set; }

    /// <inheritdoc/>
    /// <remarks>
    /// All deletes are appended to the write-ahead log and applied while checkpoints are held off, so a
    /// checkpoint holds all of them or none; a batch larger than one log page is written as several
    /// chunks, and replay applies a batch only when every chunk of it was committed. Durable mode
    /// completes once one commit covers the whole batch. Cancellation is observed only before the write
    /// starts; once it has, pass <see cref="CancellationToken.None"/> to wait for the commit.
    /// </remarks>
    public async ValueTask<int> DeleteManyAsync(IReadOnlyCollection<long> entryIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entryIds);
        cancellationToken.ThrowIfCancellationRequested();
        ThrowIfDisposed();
        var (deleted, commitAddress) = DeleteManyCore(entryIds);
        if (deleted > 0 && _wal is not null)
            await _wal.WaitForCommitAsync(commitAddress, cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    private (int Deleted, long CommitAddress) DeleteManyCore(IReadOnlyCollection<long> entryIds)
    {
        // The stripes are chosen by exact keys, which only the stored values know: read them first.
        var victims = new List<(long Id, byte[] ExactKey, int ValueLength)>(entryIds.Count);
        var seen = new HashSet<long>(entryIds.Count);
        foreach (var id in entryIds)
        {
            if (id <= 0 || !seen.Add(id) || !TryReadEntryValue(id, out var value))
                continue;
            if (!EntryRecordCodec.TryPeekExactKey(value, out var exactKey))
            {
                ReportCorrupt("entry", id);
                continue;
            }

            victims.Add((id, exactKey.ToArray(), value.Length));
        }

        if (victims.Count == 0)
            return (0, 0);

        // Every stripe the batch touches, taken in ascending order (single writes take one stripe, so
        // no cycle can form): the log order of each exact key then equals the order applied to the store.
        var stripes = victims.Select(v => (int)(BinaryPrimitives.ReadUInt32LittleEndian(v.ExactKey) & (StripeCount - 1)))
            .Distinct().Order().ToArray();
        foreach (var s in stripes)
            _stripes[s].Enter();
        try
        {
            // Re-check under the stripes: an entry deleted concurrently is not deleted (or counted) twice.
            victims.RemoveAll(v => !EntryExists(v.Id));
            if (victims.Count == 0)
                return (0, 0);

            var commitAddress = LogAndApplyBatch(victims);
            long bytes = 0;
            foreach (var v in victims)
                bytes += v.ValueLength + RecordOverheadBytes;
            Interlocked.Add(ref _liveBytes, -bytes);
            Interlocked.Increment(ref _mutations);
            return (victims.Count, commitAddress);
        }
        finally
        {
            for (var i = stripes.Length - 1; i >= 0; i--)
                _stripes[stripes[i]].Exit();
        }
    }

    /// <summary>Caller holds the stripes of every victim.</summary>
    private long LogAndApplyBatch(List<(long Id, byte[] ExactKey, int ValueLength)> victims)
    {
        var perChunk = Math.Max(1, (_maxValueLength - BatchHeaderLength - sizeof(uint)) / BatchItemLength);
        if (MaxDeletesPerLogRecord > 0)
            perChunk = Math.Min(perChunk, MaxDeletesPerLogRecord);
        var chunks = (victims.Count + perChunk - 1) / perChunk;
        var batchId = Interlocked.Increment(ref _nextBatchId);
        var buffer = ArrayPool<byte>.Shared.Rent(BatchHeaderLength + (Math.Min(perChunk, victims.Count) * BatchItemLength) + sizeof(uint));
        var session = _sessions.Rent();

        // The shared side of the gate across every chunk: a checkpoint's log position can never fall
        // inside the batch, so recovery sees all of it in the checkpoint or all of it in the log.
        if (_wal is not null)
            _walGate.EnterReadLock();
        try
        {
            long commitAddress = 0;
            for (var chunk = 0; chunk < chunks; chunk++)
            {
                var first = chunk * perChunk;
                var count = Math.Min(perChunk, victims.Count - first);
                var length = EncodeBatchChunk(buffer, batchId, chunk, chunks, victims, first, count);
                if (_wal is not null)
                    commitAddress = _wal.Append(buffer.AsSpan(0, length));
            }

            foreach (var v in victims)
                ApplyDelete(session, v.Id, v.ExactKey);
            return commitAddress;
        }
        finally
        {
            if (_wal is not null)
                _walGate.ExitReadLock();
            _sessions.Return(session);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int EncodeBatchChunk(
        byte[] buffer, long batchId, int chunk, int chunks, List<(long Id, byte[] ExactKey, int ValueLength)> victims, int first, int count)
    {
        var span = buffer.AsSpan();
        span[0] = WalDeleteBatch;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], batchId);
        BinaryPrimitives.WriteInt32LittleEndian(span[9..], chunk);
        BinaryPrimitives.WriteInt32LittleEndian(span[13..], chunks);
        BinaryPrimitives.WriteInt32LittleEndian(span[17..], count);
        var offset = BatchHeaderLength;
        for (var i = first; i < first + count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[offset..], victims[i].Id);
            victims[i].ExactKey.CopyTo(span[(offset + sizeof(long))..]);
            offset += BatchItemLength;
        }

        BinaryPrimitives.WriteUInt32LittleEndian(span[offset..], Crc32.HashToUInt32(span[..offset]));
        return offset + sizeof(uint);
    }

    /// <summary>
    /// Collects the chunks of delete batches during replay and applies a batch only once all its
    /// chunks were seen: a crash between two chunks' commits leaves the whole batch undone, never half.
    /// </summary>
    private sealed class BatchReplay(FasterEntryStore store)
    {
        private readonly Dictionary<long, List<byte[]>> _pending = [];

        /// <summary>Takes one chunk; false when it is corrupt.</summary>
        public bool Accept(Session session, ReadOnlySpan<byte> record)
        {
            if (record.Length < BatchHeaderLength + sizeof(uint)
                || Crc32.HashToUInt32(record[..^sizeof(uint)]) != BinaryPrimitives.ReadUInt32LittleEndian(record[^sizeof(uint)..]))
                return false;
            var batchId = BinaryPrimitives.ReadInt64LittleEndian(record[1..]);
            var chunks = BinaryPrimitives.ReadInt32LittleEndian(record[13..]);
            var count = BinaryPrimitives.ReadInt32LittleEndian(record[17..]);
            if (chunks <= 0 || count < 0 || record.Length != BatchHeaderLength + (count * BatchItemLength) + sizeof(uint))
                return false;

            if (chunks == 1)
            {
                Apply(session, record);
                return true;
            }

            if (!_pending.TryGetValue(batchId, out var parts))
                _pending[batchId] = parts = [];
            parts.Add(record.ToArray());
            if (parts.Count == chunks)
            {
                foreach (var part in parts)
                    Apply(session, part);
                _pending.Remove(batchId);
            }

            return true;
        }

        /// <summary>Batches whose last chunk never reached the device: never acknowledged, so dropped.</summary>
        public int Incomplete => _pending.Count;

        private void Apply(Session session, ReadOnlySpan<byte> record)
        {
            var count = BinaryPrimitives.ReadInt32LittleEndian(record[17..]);
            var offset = BatchHeaderLength;
            for (var i = 0; i < count; i++)
            {
                var id = BinaryPrimitives.ReadInt64LittleEndian(record[offset..]);
                store.ApplyDelete(session, id, record.Slice(offset + sizeof(long), StoreKeys.ExactKeyBytes));
                offset += BatchItemLength;
            }
        }
    }
}
