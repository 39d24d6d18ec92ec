using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using Microsoft.Extensions.Logging;
using SemCache.Vectors;

namespace SemCache.Gpu;

/// <summary>
/// Batch similarity on an ILGPU accelerator: device-resident copies of matrices (see the
/// Residency part), the two kernels of <see cref="SimilarityKernels"/> (Launch part), and the
/// engine's CPU scorer for what the device should not take. One device stream, so calls are
/// serialised by <see cref="_gate"/>.
/// </summary>
internal sealed partial class IlgpuBatchScorer : IGpuBatchScorer
{
    private readonly Lock _gate = new();
    private readonly Context _context;
    private readonly Accelerator _accelerator;
    private readonly GpuScorerOptions _options;
    private readonly ILogger _logger;
    private readonly int _tileThreads;
    private readonly int _topKThreads;
    private readonly Action<KernelConfig, ArrayView<float>, Float32Rows, ArrayView<byte>, ArrayView<float>, int, int, int, int, int> _scoreTile32;
    private readonly Action<KernelConfig, ArrayView<float>, Float16Rows, ArrayView<byte>, ArrayView<float>, int, int, int, int, int> _scoreTile16;
    private readonly Action<KernelConfig, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int> _topK;
    private long _deviceCalls;
    private long _cpuFallbacks;
    private bool _disposed;

    private IlgpuBatchScorer(Context context, Accelerator accelerator, string name, GpuScorerOptions options, ILogger logger)
    {
        _context = context;
        _accelerator = accelerator;
        _options = options;
        _logger = logger;
        Accelerator = name;
        MaxDeviceBytes = options.MaxDeviceBytes > 0 ? options.MaxDeviceBytes : accelerator.MemorySize / 2;

        // 16 x 16 threads (a 64 x 64 tile) on a GPU; the CPU accelerator runs a group as that many
        // OS threads meeting at barriers, so it gets 4 x 4 (a 16 x 16 tile) and stays usable in tests.
        var groupLimit = accelerator.MaxNumThreadsPerGroup;
        _tileThreads = groupLimit >= 256 && accelerator.AcceleratorType == AcceleratorType.Cuda ? 16 : 4;
        _topKThreads = Math.Min(accelerator.AcceleratorType == AcceleratorType.Cuda ? 256 : 16, groupLimit);
        _topKThreads -= _topKThreads % accelerator.WarpSize;
        _scoreTile32 = accelerator.LoadStreamKernel<ArrayView<float>, Float32Rows, ArrayView<byte>, ArrayView<float>, int, int, int, int, int>(SimilarityKernels.ScoreTile);
        _scoreTile16 = accelerator.LoadStreamKernel<ArrayView<float>, Float16Rows, ArrayView<byte>, ArrayView<float>, int, int, int, int, int>(SimilarityKernels.ScoreTile);
        _topK = accelerator.LoadStreamKernel<ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, int>(SimilarityKernels.TopKSegment);
    }

    public string Accelerator { get; }

    public long MaxDeviceBytes { get; }

    public long DeviceBytes
    {
        get
        {
            lock (_gate) { return ResidentBytes + ScratchHeld; }
        }
    }

    /// <summary>
    /// Opens the accelerator <paramref name="options"/> asks for. Returns null for
    /// <see cref="GpuAcceleratorKind.Auto"/> when no CUDA device is present (the caller uses the CPU);
    /// throws <see cref="InvalidOperationException"/> for <see cref="GpuAcceleratorKind.Cuda"/> then.
    /// </summary>
    public static IlgpuBatchScorer? Open(GpuScorerOptions options, ILogger logger, out string reason)
    {
        if (options.Accelerator == GpuAcceleratorKind.IlgpuCpu)
        {
            // Nvidia-like warps of 4 lanes, 4 warps per group, 2 processors: small groups, real shuffles and barriers.
            var context = Context.Create(b => b.CPU(new CPUDevice(4, 4, 2)).EnableAlgorithms());
            reason = "ILGPU CPU accelerator requested";
            return Create(context, context.GetCPUDevice(0).CreateCPUAccelerator(context), "ilgpu-cpu", options, logger);
        }

        Context? cuda = null;
        try
        {
            cuda = Context.Create(b => b.Cuda().EnableAlgorithms());
            var devices = cuda.GetCudaDevices();
            if (devices.Count == 0)
            {
                cuda.Dispose();
                reason = "ILGPU found no CUDA device";
                return options.Accelerator == GpuAcceleratorKind.Cuda ? throw new InvalidOperationException($"GpuScorerOptions.Accelerator is Cuda but {reason}.") : null;
            }

            var device = devices[0];
            reason = $"CUDA device {device.Name} ({device.MemorySize >> 20} MiB)";
            return Create(cuda, device.CreateCudaAccelerator(cuda), $"ilgpu-cuda:{device.Name}", options, logger);
        }
        catch (Exception e) when (e is not InvalidOperationException && options.Accelerator == GpuAcceleratorKind.Auto)
        {
            // No driver, or a driver ILGPU cannot use: Auto means the CPU, and the reason is logged.
            cuda?.Dispose();
            reason = $"CUDA could not be opened: {e.Message}";
            return null;
        }
    }

    private static IlgpuBatchScorer Create(Context context, Accelerator accelerator, string name, GpuScorerOptions options, ILogger logger)
    {
        try
        {
            return new IlgpuBatchScorer(context, accelerator, name, options, logger);
        }
        catch
        {
            accelerator.Dispose();
            context.Dispose();
            throw;
        }
    }

    public void Score(VectorMatrix matrix, ReadOnlySpan<float> queries, int queryCount, Span<ScoredRow> results, Span<int> counts)
    {
        var k = BatchSimilarityScorers.ValidateScore(matrix, queries, queryCount, results, counts);
        var live = matrix.RowCount - matrix.RetiredCount;
        if (live < _options.MinRows || k > MaxK || !TryScoreOnDevice(matrix, queries, queryCount, results, counts))
        {
            Interlocked.Increment(ref _cpuFallbacks);
            BatchSimilarityScorers.Cpu.Score(matrix, queries, queryCount, results, counts);
        }
    }

    private bool TryScoreOnDevice(VectorMatrix matrix, ReadOnlySpan<float> queries, int queryCount, Span<ScoredRow> results, Span<int> counts)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var resident = Resident(matrix);
            if (resident is null)
            {
                Log.TooLargeForDevice(_logger, (long)matrix.RowCount * matrix.Stride * ComponentBytes, MaxDeviceBytes);
                return false;
            }

            Launch(resident, matrix, queries, queryCount, results, counts);
            _deviceCalls++;
            return true;
        }
    }

    public GpuScorerStats GetStats()
    {
        lock (_gate)
        {
            return new GpuScorerStats
            {
                Accelerator = Accelerator,
                DeviceBytes = ResidentBytes + ScratchHeld,
                MaxDeviceBytes = MaxDeviceBytes,
                ResidentMatrices = _residents.Count,
                RowsUploaded = _rowsUploaded,
                Evictions = _evictions,
                CpuFallbacks = Interlocked.Read(ref _cpuFallbacks),
                DeviceCalls = _deviceCalls,
            };
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) { return; }
            _disposed = true;
            foreach (var r in _residents) { r.Dispose(); }
            _residents.Clear();
            FreeScratch();
            _accelerator.Dispose();
            _context.Dispose();
        }
    }
}
