using System.Runtime.InteropServices;

namespace SemCache.Vectors.Native;

/// <summary>
/// The C ABI of <c>native-kernels/include/semcache_kernels.h</c> (ABI version <see cref="NativeKernelLibrary.AbiVersion"/>).
/// Call only after <see cref="NativeKernelLibrary.IsLoaded"/> is true: the resolver maps <see cref="LibraryName"/> to the
/// handle it loaded and checked, so no other file of that name can be bound.
/// </summary>
/// <remarks>
/// The gathered (<c>_ids</c>) forms score at most a few dozen rows per call (an HNSW node's neighbours), well under a
/// microsecond, so they skip the GC transition; the contiguous forms are called on chunks of a flat scan and keep it,
/// so a long scan never holds up a collection.
/// </remarks>
internal static unsafe partial class NativeMethods
{
    public const string LibraryName = "semcache_kernels";

    [LibraryImport(LibraryName, EntryPoint = "sck_abi_version")]
    public static partial int AbiVersion();

    [LibraryImport(LibraryName, EntryPoint = "sck_variants")]
    public static partial nint Variants();

    [LibraryImport(LibraryName, EntryPoint = "sck_variant_supported")]
    public static partial int VariantSupported(int family, int variant);

    [LibraryImport(LibraryName, EntryPoint = "sck_dot_f32")]
    public static partial int DotF32(float* query, float* rows, long count, int dims, long stride, float* results);

    [LibraryImport(LibraryName, EntryPoint = "sck_dot_i8")]
    public static partial int DotI8(sbyte* query, sbyte* rows, long count, int dims, long stride, int* results);

    [LibraryImport(LibraryName, EntryPoint = "sck_hamming")]
    public static partial int Hamming(ulong* query, ulong* rows, long count, int words, long stride, int* results);

    [LibraryImport(LibraryName, EntryPoint = "sck_dot_f32_ids")]
    [SuppressGCTransition]
    public static partial int DotF32Ids(float* query, float* rows, uint* ids, long count, int dims, long stride, float* results);

    [LibraryImport(LibraryName, EntryPoint = "sck_dot_i8_ids")]
    [SuppressGCTransition]
    public static partial int DotI8Ids(sbyte* query, sbyte* rows, uint* ids, long count, int dims, long stride, int* results);

    [LibraryImport(LibraryName, EntryPoint = "sck_hamming_ids")]
    [SuppressGCTransition]
    public static partial int HammingIds(ulong* query, ulong* rows, uint* ids, long count, int words, long stride, int* results);

    [LibraryImport(LibraryName, EntryPoint = "sck_top_k_f32")]
    public static partial int TopK(float* scores, long count, int k, long* indices);

    [LibraryImport(LibraryName, EntryPoint = "sck_dot_f32_variant")]
    public static partial int DotF32Variant(int variant, float* query, float* rows, uint* ids, long count, int dims, long stride, float* results);

    [LibraryImport(LibraryName, EntryPoint = "sck_dot_i8_variant")]
    public static partial int DotI8Variant(int variant, sbyte* query, sbyte* rows, uint* ids, long count, int dims, long stride, int* results);

    [LibraryImport(LibraryName, EntryPoint = "sck_hamming_variant")]
    public static partial int HammingVariant(int variant, ulong* query, ulong* rows, uint* ids, long count, int words, long stride, int* results);
}
