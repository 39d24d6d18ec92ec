using System.Runtime.InteropServices;
using FASTER.core;

namespace SemCache.Storage;

/// <summary>
/// A FASTER device whose "disk" is native memory: the backing store of InMemory mode. FASTER keeps only a
/// small in-memory log of pinned managed pages and flushes older pages here, so an in-memory cache holds
/// its records off the managed heap, grows with what it holds (chunks are allocated on first write) and
/// gives memory back when compaction truncates the log (chunks behind the begin address are freed, and
/// <see cref="NativeHeap.Trim"/> returns them to the operating system).
/// </summary>
/// <remarks>
/// I/O completes synchronously on the caller's thread (a copy), as <see cref="NullDevice"/> does: there is no
/// latency to hide. Segment removal runs after FASTER's epoch bump (readers inside the epoch are done with
/// it); the lock additionally keeps a reader outside the epoch (a scan) from copying a chunk being freed.
/// A read of a range never written (or already freed) returns zeros, as reading past a file's end would.
/// </remarks>
internal sealed unsafe class NativeMemoryDevice : StorageDeviceBase
{
    /// <summary>Allocation unit: small enough that a partly written page does not hold much unused memory.</summary>
    internal const int ChunkBits = 20;

    private const long ChunkSize = 1L << ChunkBits;

    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly Dictionary<int, nint[]> _segments = [];
    private long _allocatedBytes;
    private bool _disposed;
    private int _disposing;

    public NativeMemoryDevice()
        : base("semcache-native-memory", 512, Devices.CAPACITY_UNSPECIFIED)
    {
    }

    /// <summary>Native bytes currently held (whole chunks).</summary>
    public long AllocatedBytes => Interlocked.Read(ref _allocatedBytes);

    private int ChunksPerSegment => (int)Math.Max(1, SegmentSize >> ChunkBits);

    public override void WriteAsync(IntPtr sourceAddress, int segmentId, ulong destinationAddress, uint numBytesToWrite, DeviceIOCompletionCallback callback, object context)
    {
        _lock.EnterWriteLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_segments.TryGetValue(segmentId, out var chunks))
                _segments[segmentId] = chunks = new nint[ChunksPerSegment];

            var source = (byte*)sourceAddress;
            var offset = (long)destinationAddress;
            long left = numBytesToWrite;
            while (left > 0)
            {
                var index = (int)(offset >> ChunkBits);
                if (index >= chunks.Length)
                    throw new InvalidOperationException($"A write at offset {offset} runs past the end of segment {segmentId}.");
                var within = offset & (ChunkSize - 1);
                var count = Math.Min(left, ChunkSize - within);
                if (chunks[index] == 0)
                {
                    // Zeroed, so that the unwritten rest of a chunk reads as zeros, as a fresh file does.
                    chunks[index] = (nint)NativeMemory.AllocZeroed((nuint)ChunkSize);
                    _allocatedBytes += ChunkSize;
                }

                Buffer.MemoryCopy(source, (byte*)chunks[index] + within, count, count);
                source += count;
                offset += count;
                left -= count;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        callback(0, numBytesToWrite, context);
    }

    public override void ReadAsync(int segmentId, ulong sourceAddress, IntPtr destinationAddress, uint readLength, DeviceIOCompletionCallback callback, object context)
    {
        _lock.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _segments.TryGetValue(segmentId, out var chunks);
            var destination = (byte*)destinationAddress;
            var offset = (long)sourceAddress;
            long left = readLength;
            while (left > 0)
            {
                var index = (int)(offset >> ChunkBits);
                var within = offset & (ChunkSize - 1);
                var count = Math.Min(left, ChunkSize - within);
                if (chunks is not null && index < chunks.Length && chunks[index] != 0)
                    Buffer.MemoryCopy((byte*)chunks[index] + within, destination, count, count);
                else
                    new Span<byte>(destination, (int)count).Clear();
                destination += count;
                offset += count;
                left -= count;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        callback(0, readLength, context);
    }

    /// <summary>
    /// Frees whole segments below <paramref name="toAddress"/> (the base class, epoch-protected) and, in the
    /// segment that holds it, every chunk that lies wholly below it: segments are several pages, and a log
    /// compacted to a few live pages should not keep a whole segment of dead ones. FASTER calls this after an
    /// epoch has passed since it moved the begin address, so no read of those addresses is still running.
    /// </summary>
    public override void TruncateUntilAddress(long toAddress)
    {
        var before = AllocatedBytes;
        FreeChunksBelow(toAddress);
        base.TruncateUntilAddress(toAddress);
        if (AllocatedBytes < before)
            NativeHeap.Trim();
    }

    /// <inheritdoc cref="TruncateUntilAddress(long)"/>
    public override void TruncateUntilAddressAsync(long toAddress, AsyncCallback callback, IAsyncResult result)
    {
        FreeChunksBelow(toAddress);
        base.TruncateUntilAddressAsync(toAddress, callback, result);
    }

    private void FreeChunksBelow(long toAddress)
    {
        if (toAddress <= 0 || SegmentSize <= 0)
            return;
        var segment = (int)(toAddress / SegmentSize);
        var whole = (int)((toAddress % SegmentSize) >> ChunkBits);
        _lock.EnterWriteLock();
        try
        {
            if (_disposed || !_segments.TryGetValue(segment, out var chunks))
                return;
            for (var i = 0; i < whole && i < chunks.Length; i++)
            {
                if (chunks[i] == 0)
                    continue;
                NativeMemory.Free((void*)chunks[i]);
                chunks[i] = 0;
                _allocatedBytes -= ChunkSize;
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public override void RemoveSegment(int segment) => FreeSegment(segment);

    public override void RemoveSegmentAsync(int segment, AsyncCallback callback, IAsyncResult result)
    {
        FreeSegment(segment);
        callback(result);
    }

    private void FreeSegment(int segment)
    {
        _lock.EnterWriteLock();
        try
        {
            if (_segments.Remove(segment, out var chunks))
                Free(chunks);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Caller holds the write lock.</summary>
    private void Free(nint[] chunks)
    {
        foreach (var chunk in chunks)
        {
            if (chunk == 0)
                continue;
            NativeMemory.Free((void*)chunk);
            _allocatedBytes -= ChunkSize;
        }
    }

    public override long GetFileSize(int segment) => SegmentSize;

    public override void Dispose()
    {
        if (Interlocked.Exchange(ref _disposing, 1) != 0)
            return;
        _lock.EnterWriteLock();
        try
        {
            _disposed = true;
            foreach (var chunks in _segments.Values)
                Free(chunks);
            _segments.Clear();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }
}
