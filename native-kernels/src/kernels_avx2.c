/* AVX2 (+FMA) variants, compiled with per-function target attributes so the library itself needs
 * no -mavx2 and runs on any x86-64; the dispatcher calls these only where cpuid reports AVX2 and FMA. */
#include "internal.h"

#if SCK_X86
#include <immintrin.h>

#define SCK_AVX2 __attribute__((target("avx2,fma,popcnt")))

SCK_AVX2 static inline float hsum256_ps(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

SCK_AVX2 static inline int32_t hsum256_epi32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

SCK_AVX2 void sck_dot_f32_avx2(const float* q, const float* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, float* out)
{
    for (int64_t i = 0; i < count; i++) {
        const float* r = SCK_ROW(rows, ids, i, stride);
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
        int32_t d = 0;
        for (; d + 32 <= dims; d += 32) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(r + d), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 8), _mm256_loadu_ps(r + d + 8), a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 16), _mm256_loadu_ps(r + d + 16), a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d + 24), _mm256_loadu_ps(r + d + 24), a3);
        }
        for (; d + 8 <= dims; d += 8) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + d), _mm256_loadu_ps(r + d), a0);
        }
        float sum = hsum256_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
        for (; d < dims; d++) {
            sum += q[d] * r[d];
        }
        out[i] = sum;
    }
}

/* Signed x signed bytes with the unsigned x signed vpmaddubsw: move the query's sign onto the row
 * (psignb) and multiply by |query|. |q|, |r| <= 127, so a pair sum (<= 32258) never saturates int16. */
SCK_AVX2 void sck_dot_i8_avx2(const int8_t* q, const int8_t* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, int32_t* out)
{
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t i = 0; i < count; i++) {
        const int8_t* r = SCK_ROW(rows, ids, i, stride);
        __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
        int32_t d = 0;
        for (; d + 64 <= dims; d += 64) {
            __m256i q0 = _mm256_loadu_si256((const __m256i*)(q + d));
            __m256i q1 = _mm256_loadu_si256((const __m256i*)(q + d + 32));
            __m256i r0 = _mm256_loadu_si256((const __m256i*)(r + d));
            __m256i r1 = _mm256_loadu_si256((const __m256i*)(r + d + 32));
            __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(q0), _mm256_sign_epi8(r0, q0));
            __m256i p1 = _mm256_maddubs_epi16(_mm256_abs_epi8(q1), _mm256_sign_epi8(r1, q1));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(p0, ones));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(p1, ones));
        }
        for (; d + 32 <= dims; d += 32) {
            __m256i q0 = _mm256_loadu_si256((const __m256i*)(q + d));
            __m256i r0 = _mm256_loadu_si256((const __m256i*)(r + d));
            __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(q0), _mm256_sign_epi8(r0, q0));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(p0, ones));
        }
        int32_t sum = hsum256_epi32(_mm256_add_epi32(a0, a1));
        for (; d < dims; d++) {
            sum += (int32_t)q[d] * (int32_t)r[d];
        }
        out[i] = sum;
    }
}

/* Nibble lookup (Mula): popcount of each byte with pshufb, summed per 64-bit lane by psadbw. */
SCK_AVX2 void sck_hamming_avx2(const uint64_t* q, const uint64_t* rows, const uint32_t* ids, int64_t count, int32_t words, int64_t stride, int32_t* out)
{
    const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,
                                           0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
    const __m256i low = _mm256_set1_epi8(0x0F);
    for (int64_t i = 0; i < count; i++) {
        const uint64_t* r = SCK_ROW(rows, ids, i, stride);
        __m256i acc = _mm256_setzero_si256();
        int32_t w = 0;
        for (; w + 4 <= words; w += 4) {
            __m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i*)(q + w)), _mm256_loadu_si256((const __m256i*)(r + w)));
            __m256i lo = _mm256_shuffle_epi8(table, _mm256_and_si256(x, low));
            __m256i hi = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(x, 4), low));
            acc = _mm256_add_epi64(acc, _mm256_sad_epu8(_mm256_add_epi8(lo, hi), _mm256_setzero_si256()));
        }
        __m128i s = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        int64_t sum = _mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1);
        for (; w < words; w++) {
            sum += __builtin_popcountll(q[w] ^ r[w]);
        }
        out[i] = (int32_t)sum;
    }
}
#endif
