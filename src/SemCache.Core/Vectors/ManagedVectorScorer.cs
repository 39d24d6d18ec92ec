using System.Runtime.CompilerServices;

namespace SemCache.Vectors;

/// <summary>The managed kernels behind <see cref="IVectorScorer"/>: always available, the reference for the native ones.</summary>
/// <remarks>
/// The batch loops are compiled fully optimised at once (<see cref="MethodImplOptions.AggressiveOptimization"/>): on a
/// loaded machine the background tier-1 recompilation was starved for whole benchmark runs, leaving the managed scans
/// at tier-0 code up to 8x slower than the same loop optimised (bench-kernels, 2026-12-01), which is neither what
/// production sees after warm-up nor a fair baseline.
/// </remarks>
internal sealed unsafe class ManagedVectorScorer : IVectorScorer
{
    public static readonly ManagedVectorScorer Instance = new();

    private ManagedVectorScorer()
    {
    }

    public string Family => "managed";

    public string Variants => $"float32={VectorKernels.ActivePath},int8={VectorKernels.Int8Path},binary={VectorKernels.HammingPath}";

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void DotF32(float* query, float* rows, int count, int dims, int stride, float* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.Dot(query, rows + ((nint)i * stride), dims);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void DotF32(float* query, float* rows, uint* ids, int count, int dims, int stride, float* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.Dot(query, rows + ((nint)ids[i] * stride), dims);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void DotI8(sbyte* query, sbyte* rows, int count, int dims, int stride, int* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.DotInt8(query, rows + ((nint)i * stride), dims);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void DotI8(sbyte* query, sbyte* rows, uint* ids, int count, int dims, int stride, int* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.DotInt8(query, rows + ((nint)ids[i] * stride), dims);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Hamming(ulong* query, ulong* rows, int count, int words, int stride, int* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.Hamming(query, rows + ((nint)i * stride), words);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Hamming(ulong* query, ulong* rows, uint* ids, int count, int words, int stride, int* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.Hamming(query, rows + ((nint)ids[i] * stride), words);
        }
    }
}
