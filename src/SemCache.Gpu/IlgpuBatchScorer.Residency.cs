using System.Buffers;
using ILGPU;
using ILGPU.Runtime;
using SemCache.Vectors;

namespace SemCache.Gpu;

/// <summary>
/// Device-resident copies of matrices. A matrix only appends rows and marks rows retired (see
/// <see cref="VectorMatrix"/>), so a copy is brought up to date by uploading the rows appended since
/// the last call and, when anything changed, the retired marks (one byte a row). Copies grow with
/// headroom like a list; the least recently used ones are dropped to keep the device under its bound.
/// </summary>
internal sealed partial class IlgpuBatchScorer
{
    /// <summary>Rows copied to the device per transfer: bounds the host staging buffer.</summary>
    private const int UploadRows = 16384;

    private readonly List<DeviceCopy> _residents = [];
    private long _rowsUploaded;
    private long _evictions;
    private long _clock;

    private long ResidentBytes
    {
        get
        {
            long sum = 0;
            foreach (var r in _residents) { sum += r.Bytes; }
            return sum;
        }
    }

    /// <summary>
    /// Device memory the work buffers may take at most, kept free of resident copies: the similarity
    /// block (ScratchBytes), padded queries and candidates (a quarter of it each; see Launch).
    /// </summary>
    private long ScratchReserve => _options.ScratchBytes + (_options.ScratchBytes / 2);

    /// <summary>Bytes of one row component on the device.</summary>
    private int ComponentBytes => _options.Encoding == GpuVectorEncoding.HalfPrecision ? 2 : sizeof(float);

    /// <summary>A matrix on the device: its rows in float32 or float16 (one of the two buffers), and the retired marks.</summary>
    private sealed class DeviceCopy(
        WeakReference<VectorMatrix> owner,
        MemoryBuffer1D<float, Stride1D.Dense>? rows32,
        MemoryBuffer1D<ILGPU.Half, Stride1D.Dense>? rows16,
        MemoryBuffer1D<byte, Stride1D.Dense> retired,
        int capacity) : IDisposable
    {
        public WeakReference<VectorMatrix> Owner { get; } = owner;

        public MemoryBuffer1D<float, Stride1D.Dense>? Rows32 { get; } = rows32;

        public MemoryBuffer1D<ILGPU.Half, Stride1D.Dense>? Rows16 { get; } = rows16;

        public MemoryBuffer1D<byte, Stride1D.Dense> Retired { get; } = retired;

        public int Capacity { get; } = capacity;

        public int Uploaded { get; set; }

        public int RetiredSeen { get; set; } = -1;

        public int MaskRows { get; set; }

        public long LastUse { get; set; }

        public long Bytes => (Rows32?.LengthInBytes ?? 0) + (Rows16?.LengthInBytes ?? 0) + Retired.LengthInBytes;

        public bool Holds(VectorMatrix matrix) => Owner.TryGetTarget(out var m) && ReferenceEquals(m, matrix);

        public void Dispose()
        {
            Rows32?.Dispose();
            Rows16?.Dispose();
            Retired.Dispose();
        }
    }

    /// <summary>The up-to-date device copy of <paramref name="matrix"/>, or null when it cannot fit under the bound.</summary>
    private DeviceCopy? Resident(VectorMatrix matrix)
    {
        // Copies of index generations that no longer exist free their memory first.
        for (var i = _residents.Count - 1; i >= 0; i--)
        {
            if (!_residents[i].Owner.TryGetTarget(out _))
            {
                _residents[i].Dispose();
                _residents.RemoveAt(i);
            }
        }

        var rows = matrix.RowCount;
        var stride = matrix.Stride;
        var copy = _residents.Find(r => r.Holds(matrix));
        if (copy is null || copy.Capacity < rows)
        {
            // Headroom so that a growing partition does not reallocate on every call.
            var capacity = (int)Math.Min(int.MaxValue - 1, Math.Max(rows + (rows / 4L), 1024));
            if (!MakeRoom(copy, capacity, stride))
            {
                capacity = Math.Max(rows, 1);
                if (!MakeRoom(copy, capacity, stride))
                {
                    Drop(copy);
                    return null;
                }
            }

            var half = _options.Encoding == GpuVectorEncoding.HalfPrecision;
            var grown = new DeviceCopy(
                new WeakReference<VectorMatrix>(matrix),
                half ? null : _accelerator.Allocate1D<float>((long)capacity * stride),
                half ? _accelerator.Allocate1D<ILGPU.Half>((long)capacity * stride) : null,
                _accelerator.Allocate1D<byte>(capacity),
                capacity);
            if (copy is not null)
            {
                // The rows already there move on the device; only new rows cross the bus.
                var length = (long)copy.Uploaded * stride;
                if (half) { grown.Rows16!.View.SubView(0, length).CopyFrom(copy.Rows16!.View.SubView(0, length)); }
                else { grown.Rows32!.View.SubView(0, length).CopyFrom(copy.Rows32!.View.SubView(0, length)); }
                grown.Uploaded = copy.Uploaded;
                Drop(copy);
            }

            copy = grown;
            _residents.Add(copy);
        }

        Upload(copy, matrix, rows);
        copy.LastUse = ++_clock;
        return copy;
    }

    /// <summary>Drops least recently used copies (never <paramref name="keep"/>) until a copy of <paramref name="capacity"/> rows fits.</summary>
    private bool MakeRoom(DeviceCopy? keep, int capacity, int stride)
    {
        var need = ((long)capacity * stride * ComponentBytes) + capacity;
        while (ResidentBytes - (keep?.Bytes ?? 0) + need + ScratchReserve > MaxDeviceBytes)
        {
            DeviceCopy? oldest = null;
            foreach (var r in _residents)
            {
                if (!ReferenceEquals(r, keep) && (oldest is null || r.LastUse < oldest.LastUse)) { oldest = r; }
            }

            if (oldest is null) { return false; }
            Drop(oldest);
            _evictions++;
        }

        return true;
    }

    private void Drop(DeviceCopy? copy)
    {
        if (copy is null) { return; }
        _residents.Remove(copy);
        copy.Dispose();
    }

    private void Upload(DeviceCopy copy, VectorMatrix matrix, int rows)
    {
        var stride = matrix.Stride;
        if (copy.Uploaded < rows)
        {
            var staging = ArrayPool<float>.Shared.Rent(Math.Min(rows - copy.Uploaded, UploadRows) * stride);
            var halves = copy.Rows16 is null ? null : ArrayPool<ILGPU.Half>.Shared.Rent(staging.Length);
            try
            {
                for (var first = copy.Uploaded; first < rows; first += UploadRows)
                {
                    var n = Math.Min(UploadRows, rows - first);
                    var span = staging.AsSpan(0, n * stride);
                    matrix.CopyRows(first, span);
                    if (halves is null)
                    {
                        ((ArrayView<float>)copy.Rows32!.View).SubView((long)first * stride, (long)n * stride).CopyFromCPU(span);
                        continue;
                    }

                    for (var i = 0; i < span.Length; i++) { halves[i] = (ILGPU.Half)span[i]; }
                    ((ArrayView<ILGPU.Half>)copy.Rows16!.View).SubView((long)first * stride, (long)n * stride).CopyFromCPU(halves.AsSpan(0, span.Length));
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(staging);
                if (halves is not null) { ArrayPool<ILGPU.Half>.Shared.Return(halves); }
            }

            _rowsUploaded += rows - copy.Uploaded;
            copy.Uploaded = rows;
        }

        var retiredCount = matrix.RetiredCount;
        if (copy.MaskRows != rows || copy.RetiredSeen != retiredCount)
        {
            var mask = ArrayPool<byte>.Shared.Rent(Math.Max(rows, 1));
            try
            {
                matrix.CopyRetired(0, mask.AsSpan(0, rows));
                if (rows > 0) { ((ArrayView<byte>)copy.Retired.View).SubView(0, rows).CopyFromCPU(mask.AsSpan(0, rows)); }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(mask);
            }

            copy.MaskRows = rows;
            copy.RetiredSeen = retiredCount;
        }
    }
}
