using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using SemCache.Vectors;

namespace SemCache.Benchmarks.Vectors;

/// <summary>
/// Hand-written dot kernels against the TensorPrimitives reference (the baseline). On a shared machine read the
/// Min column: preemption inflates means, never minima.
/// </summary>
[BenchmarkCategory("Vectors", "Kernels")]
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class DotKernelBenchmarks
{
    private float[] _x = [];
    private float[] _y = [];

    [Params(384, (6 * 512) + 7)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _x = [.. Enumerable.Range(0, Size).Select(_ => (float)random.NextDouble() - 0.5f)];
        _y = [.. Enumerable.Range(0, Size).Select(_ => (float)random.NextDouble() - 0.5f)];
    }

    [Benchmark(Baseline = true)]
    public float TensorPrimitivesDot() => TensorPrimitives.Dot(_x, _y);

    [Benchmark]
    public float ActivePath() => VectorKernels.Dot(_x, _y);

    [Benchmark]
    public float Vector512Path() => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated
        ? VectorKernels.DotVector512(ref _x[0], ref _y[0], Size)
        : VectorKernels.Dot(_x, _y);

    [Benchmark]
    public float Vector256Path() => VectorKernels.DotVector256(ref _x[0], ref _y[0], Size);

    [Benchmark]
    public float Scalar() => VectorKernels.DotScalar(ref _x[0], ref _y[0], Size);
}
