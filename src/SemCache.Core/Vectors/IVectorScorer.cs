namespace SemCache.Vectors;

/// <summary>
/// The batch scorer seam of the vector index: one query against many stored rows of one encoding, either a contiguous
/// run of rows (flat scans) or rows named by id (the neighbours of an HNSW node). Rows are <c>stride</c> elements apart
/// and only their first <c>dims</c> (or <c>words</c>) elements are read. Implemented by the managed kernels and by
/// <c>libsemcache_kernels</c>; both give the same results (int8 and Hamming exactly, float32 up to summation order).
/// </summary>
internal unsafe interface IVectorScorer
{
    /// <summary><c>native</c> or <c>managed</c>: what stats and logs report per partition.</summary>
    string Family { get; }

    /// <summary>The variant per kernel family, e.g. <c>float32=avx512f,int8=avx512vnni,binary=avx512vpopcntdq</c>.</summary>
    string Variants { get; }

    /// <summary>Float32 dot products of <paramref name="count"/> consecutive rows.</summary>
    void DotF32(float* query, float* rows, int count, int dims, int stride, float* results);

    /// <summary>Float32 dot products of the rows <paramref name="ids"/>.</summary>
    void DotF32(float* query, float* rows, uint* ids, int count, int dims, int stride, float* results);

    /// <summary>Exact int32 dot products of int8 rows (elements in [-127, 127]).</summary>
    void DotI8(sbyte* query, sbyte* rows, int count, int dims, int stride, int* results);

    /// <summary>Exact int32 dot products of the int8 rows <paramref name="ids"/>.</summary>
    void DotI8(sbyte* query, sbyte* rows, uint* ids, int count, int dims, int stride, int* results);

    /// <summary>Hamming distances of bit rows of <paramref name="words"/> 64-bit words.</summary>
    void Hamming(ulong* query, ulong* rows, int count, int words, int stride, int* results);

    /// <summary>Hamming distances of the bit rows <paramref name="ids"/>.</summary>
    void Hamming(ulong* query, ulong* rows, uint* ids, int count, int words, int stride, int* results);
}
