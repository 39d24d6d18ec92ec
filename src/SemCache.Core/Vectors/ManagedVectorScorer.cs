namespace SemCache.Vectors;

/// <summary>The managed kernels behind <see cref="IVectorScorer"/>: always available, the reference for the native ones.</summary>
internal sealed unsafe class ManagedVectorScorer : IVectorScorer
{
    public static readonly ManagedVectorScorer Instance = new();

    private ManagedVectorScorer()
    {
    }

    public string Family => "managed";

    public string Variants => $"float32={VectorKernels.ActivePath},int8={VectorKernels.Int8Path},binary={VectorKernels.HammingPath}";

    public void DotF32(float* query, float* rows, int count, int dims, int stride, float* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.Dot(query, rows + ((nint)i * stride), dims);
        }
    }

    public void DotF32(float* query, float* rows, uint* ids, int count, int dims, int stride, float* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.Dot(query, rows + ((nint)ids[i] * stride), dims);
        }
    }

    public void DotI8(sbyte* query, sbyte* rows, int count, int dims, int stride, int* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.DotInt8(query, rows + ((nint)i * stride), dims);
        }
    }

    public void DotI8(sbyte* query, sbyte* rows, uint* ids, int count, int dims, int stride, int* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.DotInt8(query, rows + ((nint)ids[i] * stride), dims);
        }
    }

    public void Hamming(ulong* query, ulong* rows, int count, int words, int stride, int* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.Hamming(query, rows + ((nint)i * stride), words);
        }
    }

    public void Hamming(ulong* query, ulong* rows, uint* ids, int count, int words, int stride, int* results)
    {
        for (var i = 0; i < count; i++)
        {
            results[i] = VectorKernels.Hamming(query, rows + ((nint)ids[i] * stride), words);
        }
    }
}
