namespace SemCache.Gpu;

/// <summary>Which accelerator the batch scorer runs on.</summary>
public enum GpuAcceleratorKind
{
    /// <summary>CUDA when a device is present, else the engine's CPU scorer (production default).</summary>
    Auto,

    /// <summary>CUDA only: no device is an error at start, never a silent CPU run.</summary>
    Cuda,

    /// <summary>ILGPU's CPU accelerator: the same kernels, emulated on CPU threads (tests; far slower than the engine's CPU scorer).</summary>
    IlgpuCpu,
}

/// <summary>How matrices are held on the device.</summary>
public enum GpuVectorEncoding
{
    /// <summary>float32: exact similarities, 4 bytes a component.</summary>
    FullPrecision,

    /// <summary>
    /// float16: half the device memory and traffic. The device selects more candidates than asked
    /// for and the host re-scores them in float32, so the results are the float32 ones unless a
    /// true best row falls out of the widened float16 candidate list.
    /// </summary>
    HalfPrecision,
}

/// <summary>Options of the ILGPU batch similarity scorer.</summary>
public sealed class GpuScorerOptions
{
    /// <summary>The accelerator. Default <see cref="GpuAcceleratorKind.Auto"/>.</summary>
    public GpuAcceleratorKind Accelerator { get; set; } = GpuAcceleratorKind.Auto;

    /// <summary>How matrices are held on the device. Default <see cref="GpuVectorEncoding.FullPrecision"/>.</summary>
    public GpuVectorEncoding Encoding { get; set; } = GpuVectorEncoding.FullPrecision;

    /// <summary>
    /// Most bytes the scorer holds on the device: resident copies of matrices plus work buffers.
    /// Least recently used copies are dropped to stay under it; a matrix that cannot fit alone is
    /// scored on the CPU (counted in <see cref="GpuScorerStats.CpuFallbacks"/>). 0 means half of the
    /// device's memory. Default 0.
    /// </summary>
    public long MaxDeviceBytes { get; set; }

    /// <summary>
    /// Bytes of the similarity block of one launch (queries x rows x 4): bounds the work memory of
    /// any batch; larger inputs are processed block by block. Default 256 MiB.
    /// </summary>
    public long ScratchBytes { get; set; } = 256L << 20;

    /// <summary>
    /// Matrices with fewer live rows are scored on the CPU, where a small scan costs less than the
    /// trip to the device. Default 4,096.
    /// </summary>
    public int MinRows { get; set; } = 4096;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Accelerator))
        {
            throw new ArgumentOutOfRangeException(nameof(Accelerator), Accelerator, "Unknown accelerator kind.");
        }

        if (!Enum.IsDefined(Encoding))
        {
            throw new ArgumentOutOfRangeException(nameof(Encoding), Encoding, "Unknown encoding.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxDeviceBytes, nameof(MaxDeviceBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(ScratchBytes, 1L << 16, nameof(ScratchBytes));
        ArgumentOutOfRangeException.ThrowIfNegative(MinRows, nameof(MinRows));
    }
}

/// <summary>What the GPU scorer holds and has done since it started.</summary>
public sealed record GpuScorerStats
{
    /// <summary>The accelerator, e.g. <c>ilgpu-cuda:NVIDIA H200</c> or <c>ilgpu-cpu</c>.</summary>
    public required string Accelerator { get; init; }

    /// <summary>Bytes held on the device now (resident matrices and work buffers).</summary>
    public long DeviceBytes { get; init; }

    /// <summary>The bound on <see cref="DeviceBytes"/>.</summary>
    public long MaxDeviceBytes { get; init; }

    /// <summary>Matrices with a copy on the device now.</summary>
    public int ResidentMatrices { get; init; }

    /// <summary>Rows copied to the device so far (a matrix already resident uploads only rows appended since).</summary>
    public long RowsUploaded { get; init; }

    /// <summary>Resident copies dropped to stay under <see cref="MaxDeviceBytes"/>.</summary>
    public long Evictions { get; init; }

    /// <summary>Calls scored on the CPU: matrices below <see cref="GpuScorerOptions.MinRows"/> or too large for the bound, or more than 256 results per query.</summary>
    public long CpuFallbacks { get; init; }

    /// <summary>Calls scored on the device.</summary>
    public long DeviceCalls { get; init; }
}

/// <summary>A batch scorer on an ILGPU accelerator that reports what it holds; disposing it frees the device.</summary>
public interface IGpuBatchScorer : SemCache.Vectors.IBatchSimilarityScorer, IDisposable
{
    /// <summary>The current figures.</summary>
    GpuScorerStats GetStats();
}
