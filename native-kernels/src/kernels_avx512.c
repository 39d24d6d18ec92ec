/* AVX-512 variants: float32 (AVX-512F), int8 (AVX-512 VNNI vpdpbusd on 512-bit registers) and Hamming
 * (AVX-512 VPOPCNTDQ vpopcntq): the instructions .NET does not expose. Tails use masked loads, so every
 * row is read exactly to `dims` and never beyond. */
#include "internal.h"

#if SCK_X86
#include <immintrin.h>

#define SCK_AVX512F __attribute__((target("avx512f,avx512vl,fma")))
#define SCK_AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define SCK_AVX512POPCNT __attribute__((target("avx512f,avx512vpopcntdq,popcnt")))

/* Four rows per step share each query load, and their four horizontal sums are folded together
 * (two rows per 512-bit add at each halving) instead of four separate reductions. The last 1-3 rows
 * go through the same code with the missing rows aliased to the first, so a row's sum never depends
 * on its position in the batch (a gathered batch and a contiguous one give identical floats). */
SCK_AVX512F void sck_dot_f32_avx512(const float* q, const float* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, float* out)
{
    const int32_t tail = dims & 15;
    const __mmask16 tail_mask = (__mmask16)((1u << tail) - 1u);
    for (int64_t p = 0; p < 4; p++) sck_prefetch_row(rows, ids, p, count, (int64_t)dims * 4, stride * 4);
    for (int64_t i = 0; i < count; i += 4) {
        for (int64_t p = i + 4; p < i + 8; p++) sck_prefetch_row(rows, ids, p, count, (int64_t)dims * 4, stride * 4);
        const int64_t left = count - i;
        const float* r0 = SCK_ROW(rows, ids, i, stride);
        const float* r1 = left > 1 ? SCK_ROW(rows, ids, i + 1, stride) : r0;
        const float* r2 = left > 2 ? SCK_ROW(rows, ids, i + 2, stride) : r0;
        const float* r3 = left > 3 ? SCK_ROW(rows, ids, i + 3, stride) : r0;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        /* A second accumulator per row: eight independent FMA chains keep both FMA ports busy (four chains
         * of 4-cycle FMAs fill only one), the difference between trailing and beating the managed Vector512 loop. */
        __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps(), b2 = _mm512_setzero_ps(), b3 = _mm512_setzero_ps();
        int32_t d = 0;
        for (; d + 32 <= dims; d += 32) {
            __m512 qv = _mm512_loadu_ps(q + d);
            __m512 qw = _mm512_loadu_ps(q + d + 16);
            a0 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(r0 + d), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(r1 + d), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(r2 + d), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(r3 + d), a3);
            b0 = _mm512_fmadd_ps(qw, _mm512_loadu_ps(r0 + d + 16), b0);
            b1 = _mm512_fmadd_ps(qw, _mm512_loadu_ps(r1 + d + 16), b1);
            b2 = _mm512_fmadd_ps(qw, _mm512_loadu_ps(r2 + d + 16), b2);
            b3 = _mm512_fmadd_ps(qw, _mm512_loadu_ps(r3 + d + 16), b3);
        }
        for (; d + 16 <= dims; d += 16) {
            __m512 qv = _mm512_loadu_ps(q + d);
            a0 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(r0 + d), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(r1 + d), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(r2 + d), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_loadu_ps(r3 + d), a3);
        }
        a0 = _mm512_add_ps(a0, b0);
        a1 = _mm512_add_ps(a1, b1);
        a2 = _mm512_add_ps(a2, b2);
        a3 = _mm512_add_ps(a3, b3);
        if (tail != 0) {
            __m512 qv = _mm512_maskz_loadu_ps(tail_mask, q + d);
            a0 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(tail_mask, r0 + d), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(tail_mask, r1 + d), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(tail_mask, r2 + d), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(tail_mask, r3 + d), a3);
        }
        /* 512 -> 256: [a0 lo+hi | a1 lo+hi] and [a2 | a3]. */
        __m512 s01 = _mm512_add_ps(_mm512_shuffle_f32x4(a0, a1, 0x44), _mm512_shuffle_f32x4(a0, a1, 0xEE));
        __m512 s23 = _mm512_add_ps(_mm512_shuffle_f32x4(a2, a3, 0x44), _mm512_shuffle_f32x4(a2, a3, 0xEE));
        /* 256 -> 128: lanes [a0 a1 a2 a3], four floats each. */
        __m512 s = _mm512_add_ps(_mm512_shuffle_f32x4(s01, s23, 0x88), _mm512_shuffle_f32x4(s01, s23, 0xDD));
        /* 128 -> 1 within each 128-bit lane, then pick lane sums. */
        s = _mm512_add_ps(s, _mm512_permute_ps(s, 0x4E));
        s = _mm512_add_ps(s, _mm512_permute_ps(s, 0xB1));
        __m128 lane = _mm512_castps512_ps128(_mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), s));
        if (left >= 4) {
            _mm_storeu_ps(out + i, lane);
        } else {
            _mm_mask_storeu_ps(out + i, (__mmask8)((1u << left) - 1u), lane);
        }
    }
}

/* vpdpbusd multiplies unsigned by signed bytes. The row is made the unsigned operand by flipping its sign
 * bit (r ^ 0x80 = r + 128 as an unsigned byte, one xor with the load folded in) and the query is the signed
 * one: sum((r + 128) * q) = dot + 128 * sum(q), and 128 * sum(q) is subtracted once per row. With |q|, |r| <= 127
 * nothing overflows and the int32 sums are exact, equal to the scalar variant's. Padding bytes past `dims`
 * are masked to zero in the query's chunk, so whatever the row holds there contributes nothing.
 * Four rows share each query chunk and one folded horizontal reduction (as the float32 kernel does). */
static inline __attribute__((always_inline, target("avx512f,avx512bw,avx512vnni"))) __m128i sck_reduce4_epi32(__m512i a0, __m512i a1, __m512i a2, __m512i a3)
{
    __m512i s01 = _mm512_add_epi32(_mm512_shuffle_i32x4(a0, a1, 0x44), _mm512_shuffle_i32x4(a0, a1, 0xEE));
    __m512i s23 = _mm512_add_epi32(_mm512_shuffle_i32x4(a2, a3, 0x44), _mm512_shuffle_i32x4(a2, a3, 0xEE));
    __m512i s = _mm512_add_epi32(_mm512_shuffle_i32x4(s01, s23, 0x88), _mm512_shuffle_i32x4(s01, s23, 0xDD));
    s = _mm512_add_epi32(s, _mm512_shuffle_epi32(s, (_MM_PERM_ENUM)0x4E));
    s = _mm512_add_epi32(s, _mm512_shuffle_epi32(s, (_MM_PERM_ENUM)0xB1));
    return _mm512_castsi512_si128(_mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), s));
}

SCK_AVX512VNNI void sck_dot_i8_avx512(const int8_t* q, const int8_t* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, int32_t* out)
{
    enum { MAX_CHUNKS = 16 };
    const int32_t chunks = (dims + 63) / 64;
    const int32_t tail = dims & 63;
    const __mmask64 tail_mask = tail == 0 ? ~(__mmask64)0 : (((__mmask64)1 << tail) - 1);
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    const __m512i zero = _mm512_setzero_si512();
    if (chunks > MAX_CHUNKS) {
        int32_t qsum = 0;
        for (int32_t d = 0; d < dims; d++) qsum += q[d];
        const int32_t bias = 128 * qsum;
        /* Longer than 1024 dims: reload the query per row (still exact, slightly slower). */
        for (int64_t i = 0; i < count; i++) {
            const int8_t* r = SCK_ROW(rows, ids, i, stride);
            __m512i acc = zero;
            for (int32_t c = 0; c < chunks; c++) {
                __mmask64 m = c == chunks - 1 ? tail_mask : ~(__mmask64)0;
                __m512i qv = _mm512_maskz_loadu_epi8(m, q + c * 64);
                __m512i rv = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, r + c * 64), flip);
                acc = _mm512_dpbusd_epi32(acc, rv, qv);
            }
            out[i] = _mm512_reduce_add_epi32(acc) - bias;
        }
        return;
    }

    __m512i qv[MAX_CHUNKS];
    __m512i qsum = zero;
    for (int32_t c = 0; c < chunks; c++) {
        qv[c] = _mm512_maskz_loadu_epi8(c == chunks - 1 ? tail_mask : ~(__mmask64)0, q + c * 64);
        qsum = _mm512_dpbusd_epi32(qsum, _mm512_set1_epi8(1), qv[c]); /* sum(q), four bytes per lane */
    }
    const int32_t bias = 128 * _mm512_reduce_add_epi32(qsum);
    const int32_t last = chunks - 1;
    const __m128i bias4 = _mm_set1_epi32(bias);

    int64_t i = 0;
    for (int64_t p = 0; p < 4; p++) sck_prefetch_row(rows, ids, p, count, dims, stride);
    for (; i + 4 <= count; i += 4) {
        for (int64_t p = i + 4; p < i + 8; p++) sck_prefetch_row(rows, ids, p, count, dims, stride);
        const int8_t* r0 = SCK_ROW(rows, ids, i, stride);
        const int8_t* r1 = SCK_ROW(rows, ids, i + 1, stride);
        const int8_t* r2 = SCK_ROW(rows, ids, i + 2, stride);
        const int8_t* r3 = SCK_ROW(rows, ids, i + 3, stride);
        __m512i a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int32_t c = 0; c < last; c++) {
            a0 = _mm512_dpbusd_epi32(a0, _mm512_xor_si512(_mm512_loadu_si512((const void*)(r0 + c * 64)), flip), qv[c]);
            a1 = _mm512_dpbusd_epi32(a1, _mm512_xor_si512(_mm512_loadu_si512((const void*)(r1 + c * 64)), flip), qv[c]);
            a2 = _mm512_dpbusd_epi32(a2, _mm512_xor_si512(_mm512_loadu_si512((const void*)(r2 + c * 64)), flip), qv[c]);
            a3 = _mm512_dpbusd_epi32(a3, _mm512_xor_si512(_mm512_loadu_si512((const void*)(r3 + c * 64)), flip), qv[c]);
        }
        /* The last chunk is read only to `dims` (masked), so a row never reads past its own bytes. */
        a0 = _mm512_dpbusd_epi32(a0, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail_mask, r0 + last * 64), flip), qv[last]);
        a1 = _mm512_dpbusd_epi32(a1, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail_mask, r1 + last * 64), flip), qv[last]);
        a2 = _mm512_dpbusd_epi32(a2, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail_mask, r2 + last * 64), flip), qv[last]);
        a3 = _mm512_dpbusd_epi32(a3, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail_mask, r3 + last * 64), flip), qv[last]);
        _mm_storeu_si128((__m128i*)(out + i), _mm_sub_epi32(sck_reduce4_epi32(a0, a1, a2, a3), bias4));
    }
    for (; i < count; i++) {
        const int8_t* r = SCK_ROW(rows, ids, i, stride);
        __m512i acc = zero;
        for (int32_t c = 0; c < last; c++) {
            acc = _mm512_dpbusd_epi32(acc, _mm512_xor_si512(_mm512_loadu_si512((const void*)(r + c * 64)), flip), qv[c]);
        }
        acc = _mm512_dpbusd_epi32(acc, _mm512_xor_si512(_mm512_maskz_loadu_epi8(tail_mask, r + last * 64), flip), qv[last]);
        out[i] = _mm512_reduce_add_epi32(acc) - bias;
    }
}

SCK_AVX512POPCNT void sck_hamming_avx512(const uint64_t* q, const uint64_t* rows, const uint32_t* ids, int64_t count, int32_t words, int64_t stride, int32_t* out)
{
    const int32_t tail = words & 7;
    const __mmask8 tail_mask = (__mmask8)((1u << tail) - 1u);
    for (int64_t p = 0; p < 4; p++) sck_prefetch_row(rows, ids, p, count, (int64_t)words * 8, stride * 8);
    for (int64_t i = 0; i < count; i++) {
        sck_prefetch_row(rows, ids, i + 4, count, (int64_t)words * 8, stride * 8);
        const uint64_t* r = SCK_ROW(rows, ids, i, stride);
        __m512i acc = _mm512_setzero_si512();
        int32_t w = 0;
        for (; w + 8 <= words; w += 8) {
            __m512i x = _mm512_xor_si512(_mm512_loadu_si512((const void*)(q + w)), _mm512_loadu_si512((const void*)(r + w)));
            acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
        }
        if (tail != 0) {
            __m512i x = _mm512_xor_si512(_mm512_maskz_loadu_epi64(tail_mask, q + w), _mm512_maskz_loadu_epi64(tail_mask, r + w));
            acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
        }
        out[i] = (int32_t)_mm512_reduce_add_epi64(acc);
    }
}
#endif
