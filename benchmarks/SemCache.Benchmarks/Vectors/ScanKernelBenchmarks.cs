using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using SemCache.Vectors;

namespace SemCache.Benchmarks.Vectors;

/// <summary>
/// The kernels as the index uses them: one query against 4,096 rows of a 64-byte-aligned arena (6 MiB at 384
/// floats, beyond L2), visited in a fixed random order as a graph walk does, so loads miss cache as they do in a search.
/// Time is per 4,096 dot products.
/// </summary>
[BenchmarkCategory("Vectors", "Kernels")]
[MinColumn]
[MedianColumn]
public unsafe class ScanKernelBenchmarks
{
    private const int Rows = 4096;
    private float* _arena;
    private float* _query;
    private int[] _order = [];

    [Params(384)]
    public int Dims { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _arena = (float*)NativeMemory.AlignedAlloc((nuint)(Rows * Dims * sizeof(float)), 64);
        _query = (float*)NativeMemory.AlignedAlloc((nuint)(Dims * sizeof(float)), 64);
        var data = VectorBenchmarkData.Clustered(Rows + 1, Dims, 64, seed: 5);
        data.AsSpan(0, Rows * Dims).CopyTo(new Span<float>(_arena, Rows * Dims));
        data.AsSpan(Rows * Dims, Dims).CopyTo(new Span<float>(_query, Dims));
        var random = new Random(6);
        _order = [.. Enumerable.Range(0, Rows).OrderBy(_ => random.Next())];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_arena);
        NativeMemory.AlignedFree(_query);
    }

    [Benchmark(Baseline = true)]
    public float TensorPrimitivesDot()
    {
        var sum = 0f;
        var q = new ReadOnlySpan<float>(_query, Dims);
        foreach (var row in _order)
        {
            sum += TensorPrimitives.Dot(q, new ReadOnlySpan<float>(_arena + ((nint)row * Dims), Dims));
        }

        return sum;
    }

    [Benchmark]
    public float Vector512Path()
    {
        var sum = 0f;
        foreach (var row in _order)
        {
            sum += VectorKernels.DotVector512(ref *_query, ref *(_arena + ((nint)row * Dims)), Dims);
        }

        return sum;
    }

    [Benchmark]
    public float Vector256Path()
    {
        var sum = 0f;
        foreach (var row in _order)
        {
            sum += VectorKernels.DotVector256(ref *_query, ref *(_arena + ((nint)row * Dims)), Dims);
        }

        return sum;
    }
}
