/* Declarations shared by the variant files and the dispatcher. Not installed. */
#ifndef SEMCACHE_KERNELS_INTERNAL_H
#define SEMCACHE_KERNELS_INTERNAL_H

#include "semcache_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#define SCK_X86 1
#else
#define SCK_X86 0
#endif

/* Row i of a batch: consecutive rows, or the rows named by ids (a gathered batch, e.g. HNSW neighbours). */
#define SCK_ROW(rows, ids, i, stride) ((rows) + (int64_t)((ids) != NULL ? (int64_t)(ids)[(i)] : (int64_t)(i)) * (stride))

/* A gathered batch (ids != NULL) reads rows scattered over memory, each a cache miss: prefetch every
 * line of row i while an earlier row is being scored. Contiguous rows are left to the hardware prefetcher. */
static inline void sck_prefetch_row(const void* rows, const uint32_t* ids, int64_t i, int64_t count, int64_t row_bytes, int64_t stride_bytes)
{
    if (ids == NULL || i >= count) return;
    const char* row = (const char*)rows + (int64_t)ids[i] * stride_bytes;
    for (int64_t line = 0; line < row_bytes; line += 64) {
        __builtin_prefetch(row + line, 0, 3);
    }
}

typedef void (*sck_dot_f32_fn)(const float*, const float*, const uint32_t*, int64_t, int32_t, int64_t, float*);
typedef void (*sck_dot_i8_fn)(const int8_t*, const int8_t*, const uint32_t*, int64_t, int32_t, int64_t, int32_t*);
typedef void (*sck_hamming_fn)(const uint64_t*, const uint64_t*, const uint32_t*, int64_t, int32_t, int64_t, int32_t*);

void sck_dot_f32_scalar(const float* q, const float* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, float* out);
void sck_dot_i8_scalar(const int8_t* q, const int8_t* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, int32_t* out);
void sck_hamming_scalar(const uint64_t* q, const uint64_t* rows, const uint32_t* ids, int64_t count, int32_t words, int64_t stride, int32_t* out);

#if SCK_X86
void sck_dot_f32_avx2(const float* q, const float* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, float* out);
void sck_dot_i8_avx2(const int8_t* q, const int8_t* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, int32_t* out);
void sck_hamming_avx2(const uint64_t* q, const uint64_t* rows, const uint32_t* ids, int64_t count, int32_t words, int64_t stride, int32_t* out);
void sck_dot_f32_avx512(const float* q, const float* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, float* out);
void sck_dot_i8_avx512(const int8_t* q, const int8_t* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, int32_t* out);
void sck_hamming_avx512(const uint64_t* q, const uint64_t* rows, const uint32_t* ids, int64_t count, int32_t words, int64_t stride, int32_t* out);
#endif

#endif
