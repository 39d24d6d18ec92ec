using BenchmarkDotNet.Attributes;
using SemCache.Vectors;
using SemCache.Vectors.Native;

namespace SemCache.Benchmarks.Vectors;

/// <summary>
/// The scans of <c>semcache bench-kernels</c> under BenchmarkDotNet: one query against 100,000 x 384 fixed-seed unit
/// vectors (<see cref="KernelScanWorkload"/>), managed float32 (the baseline) and int8, native float32, int8 (AVX-512
/// VNNI) and binary (VPOPCNTDQ). Time is per full scan; vectors per second = 100,000 / time. Without the native library
/// the native benchmarks throw at setup, with the reason (BenchmarkDotNet reports them as failed, not as fast).
/// </summary>
[BenchmarkCategory("Vectors", "Kernels", "Native")]
[MinColumn]
[MedianColumn]
public class NativeKernelScanBenchmarks
{
    private KernelScanWorkload _workload = null!;
    private IVectorScorer _managed = null!;
    private IVectorScorer? _native;

    [Params(100_000)]
    public int Count { get; set; }

    [Params(384)]
    public int Dims { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _workload = new KernelScanWorkload(Count, Dims, seed: 20261201);
        _managed = ManagedVectorScorer.Instance;
        _native = NativeKernelLibrary.IsLoaded ? NativeVectorScorer.Instance : null;
        Console.WriteLine("// " + VectorScorers.Describe());
    }

    [GlobalCleanup]
    public void Cleanup() => _workload.Dispose();

    [Benchmark(Baseline = true)]
    public float ManagedFloat32() => _workload.ScanFloat32(_managed);

    [Benchmark]
    public int ManagedInt8() => _workload.ScanInt8(_managed);

    [Benchmark]
    public int ManagedBinary() => _workload.ScanBinary(_managed);

    [Benchmark]
    public float NativeFloat32() => _workload.ScanFloat32(Native);

    [Benchmark]
    public int NativeInt8() => _workload.ScanInt8(Native);

    [Benchmark]
    public int NativeBinary() => _workload.ScanBinary(Native);

    private IVectorScorer Native => _native ?? throw new InvalidOperationException("native kernels not loaded: " + NativeKernelLibrary.Status);
}
