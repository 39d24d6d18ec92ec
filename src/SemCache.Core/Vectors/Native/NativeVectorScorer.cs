namespace SemCache.Vectors.Native;

/// <summary><see cref="IVectorScorer"/> over <c>libsemcache_kernels</c>; construct only when <see cref="NativeKernelLibrary.IsLoaded"/>.</summary>
/// <remarks>
/// Arguments are checked by the index before they get here (dimensions fixed per partition, ids below the arena's
/// capacity); the library also refuses malformed batches, and a refusal here is a bug, so it throws.
/// </remarks>
internal sealed unsafe class NativeVectorScorer : IVectorScorer
{
    public static readonly NativeVectorScorer Instance = new();

    private NativeVectorScorer()
    {
        if (!NativeKernelLibrary.IsLoaded)
        {
            throw new InvalidOperationException("The native kernels are not loaded: " + NativeKernelLibrary.Status);
        }

        Variants = NativeKernelLibrary.Variants ?? "";
    }

    public string Family => "native";

    public string Variants { get; }

    public void DotF32(float* query, float* rows, int count, int dims, int stride, float* results) =>
        Check(NativeMethods.DotF32(query, rows, count, dims, stride, results));

    public void DotF32(float* query, float* rows, uint* ids, int count, int dims, int stride, float* results) =>
        Check(NativeMethods.DotF32Ids(query, rows, ids, count, dims, stride, results));

    public void DotI8(sbyte* query, sbyte* rows, int count, int dims, int stride, int* results) =>
        Check(NativeMethods.DotI8(query, rows, count, dims, stride, results));

    public void DotI8(sbyte* query, sbyte* rows, uint* ids, int count, int dims, int stride, int* results) =>
        Check(NativeMethods.DotI8Ids(query, rows, ids, count, dims, stride, results));

    public void Hamming(ulong* query, ulong* rows, int count, int words, int stride, int* results) =>
        Check(NativeMethods.Hamming(query, rows, count, words, stride, results));

    public void Hamming(ulong* query, ulong* rows, uint* ids, int count, int words, int stride, int* results) =>
        Check(NativeMethods.HammingIds(query, rows, ids, count, words, stride, results));

    private static void Check(int status)
    {
        if (status != 0)
        {
            throw new InvalidOperationException($"libsemcache_kernels refused a batch (status {status}).");
        }
    }
}
