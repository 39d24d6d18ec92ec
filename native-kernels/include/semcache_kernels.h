/* SemCache native kernels: batched similarity scans and top-k selection.
 *
 * One C ABI for every caller (the .NET engine loads it with LibraryImport). All functions are
 * thread-safe and allocate nothing: the caller owns every buffer. The variant (AVX-512 VNNI /
 * VPOPCNTDQ, AVX2, scalar) is chosen once, on the first call, from cpuid; sck_variants() names it.
 *
 * Layout of a batch: `count` rows of `stride` elements each (stride >= dims), row i at
 * base + i * stride. Only the first `dims` elements of each row are read, so padding may hold anything.
 *
 * ABI versioning: SCK_ABI_VERSION changes whenever a signature or a meaning changes; a caller must
 * compare sck_abi_version() with the version it was written for and refuse the library otherwise.
 */
#ifndef SEMCACHE_KERNELS_H
#define SEMCACHE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define SCK_API __declspec(dllexport)
#else
#define SCK_API __attribute__((visibility("default")))
#endif

#define SCK_ABI_VERSION 1

/* Variant selectors for the sck_*_variant functions (tests and benchmarks pin one variant). */
#define SCK_VARIANT_AUTO 0
#define SCK_VARIANT_SCALAR 1
#define SCK_VARIANT_AVX2 2
#define SCK_VARIANT_AVX512 3

/* The ABI version this library implements (SCK_ABI_VERSION). */
SCK_API int32_t sck_abi_version(void);

/* A static, NUL-terminated description of the chosen variants, e.g.
 * "float32=avx512f,int8=avx512vnni,binary=avx512vpopcntdq,topk=scalar". Never freed. */
SCK_API const char* sck_variants(void);

/* 1 when the CPU (and OS) can run the given variant for the given kernel family, else 0.
 * family: 0 = float32, 1 = int8, 2 = binary. */
SCK_API int32_t sck_variant_supported(int32_t family, int32_t variant);

/* out[i] = dot(query[0..dims), rows[i*stride .. i*stride+dims)) for i < count, float32.
 * Returns 0, or -1 on invalid arguments (null pointers, dims < 1, stride < dims, count < 0). */
SCK_API int32_t sck_dot_f32(const float* query, const float* rows, int64_t count, int32_t dims,
                            int64_t stride, float* out);

/* As sck_dot_f32 with signed int8 elements; exact int32 sums. Elements must lie in [-127, 127]
 * (the AVX-512 VNNI path biases the row by +128 and subtracts 128 * sum(query); -128 would still
 * be exact but is reserved so a negated vector stays representable). */
SCK_API int32_t sck_dot_i8(const int8_t* query, const int8_t* rows, int64_t count, int32_t dims,
                           int64_t stride, int32_t* out);

/* Hamming distance of bit vectors of `words` 64-bit words; `stride` in words. */
SCK_API int32_t sck_hamming(const uint64_t* query, const uint64_t* rows, int64_t count,
                            int32_t words, int64_t stride, int32_t* out);

/* Gathered batches: row i is base + ids[i] * stride (e.g. the unvisited neighbours of an HNSW node).
 * The caller guarantees every id names a row inside its buffer. Same results as the contiguous forms. */
SCK_API int32_t sck_dot_f32_ids(const float* query, const float* base, const uint32_t* ids, int64_t count,
                                int32_t dims, int64_t stride, float* out);
SCK_API int32_t sck_dot_i8_ids(const int8_t* query, const int8_t* base, const uint32_t* ids, int64_t count,
                               int32_t dims, int64_t stride, int32_t* out);
SCK_API int32_t sck_hamming_ids(const uint64_t* query, const uint64_t* base, const uint32_t* ids, int64_t count,
                                int32_t words, int64_t stride, int32_t* out);

/* Writes the indices of the k largest scores, best first, into out_index (ties: lower index
 * first; NaN scores are never chosen). Returns how many were written (min(k, non-NaN count)),
 * or -1 on invalid arguments. */
SCK_API int32_t sck_top_k_f32(const float* scores, int64_t count, int32_t k, int64_t* out_index);

/* The same kernels pinned to one variant (for tests and benchmarks); ids may be NULL (contiguous
 * rows) or name the rows as in the _ids forms. Returns -2 when the variant is not supported here. */
SCK_API int32_t sck_dot_f32_variant(int32_t variant, const float* query, const float* rows, const uint32_t* ids,
                                    int64_t count, int32_t dims, int64_t stride, float* out);
SCK_API int32_t sck_dot_i8_variant(int32_t variant, const int8_t* query, const int8_t* rows, const uint32_t* ids,
                                   int64_t count, int32_t dims, int64_t stride, int32_t* out);
SCK_API int32_t sck_hamming_variant(int32_t variant, const uint64_t* query, const uint64_t* rows, const uint32_t* ids,
                                    int64_t count, int32_t words, int64_t stride, int32_t* out);

#ifdef __cplusplus
}
#endif

#endif
