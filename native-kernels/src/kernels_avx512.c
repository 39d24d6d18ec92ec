/* AVX-512 variants: float32 (AVX-512F), int8 (AVX-512 VNNI vpdpbusd on 512-bit registers) and Hamming
 * (AVX-512 VPOPCNTDQ vpopcntq): the instructions .NET does not expose. Tails use masked loads, so every
 * row is read exactly to `dims` and never beyond. */
#include "internal.h"

#if SCK_X86
#include <immintrin.h>

#define SCK_AVX512F __attribute__((target("avx512f,fma")))
#define SCK_AVX512VNNI __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define SCK_AVX512POPCNT __attribute__((target("avx512f,avx512vpopcntdq,popcnt")))

SCK_AVX512F void sck_dot_f32_avx512(const float* q, const float* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, float* out)
{
    const int32_t tail = dims & 15;
    const __mmask16 tail_mask = (__mmask16)((1u << tail) - 1u);
    for (int64_t i = 0; i < count; i++) {
        const float* r = SCK_ROW(rows, ids, i, stride);
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        int32_t d = 0;
        for (; d + 64 <= dims; d += 64) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + d), _mm512_loadu_ps(r + d), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + d + 16), _mm512_loadu_ps(r + d + 16), a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + d + 32), _mm512_loadu_ps(r + d + 32), a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(q + d + 48), _mm512_loadu_ps(r + d + 48), a3);
        }
        for (; d + 16 <= dims; d += 16) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + d), _mm512_loadu_ps(r + d), a0);
        }
        if (tail != 0) {
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail_mask, q + d), _mm512_maskz_loadu_ps(tail_mask, r + d), a1);
        }
        out[i] = _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
    }
}

/* vpdpbusd multiplies unsigned by signed bytes. The query's sign is moved onto the row (a masked
 * 0 - r where q < 0) and |q| is the unsigned operand; with |q|, |r| <= 127 nothing overflows and the
 * int32 sums are exact, equal to the scalar variant's. The query's |q| and sign mask are computed once
 * per 64-byte chunk of the query (hoisted out of the row loop for the common 384-d case). */
SCK_AVX512VNNI void sck_dot_i8_avx512(const int8_t* q, const int8_t* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, int32_t* out)
{
    enum { MAX_CHUNKS = 16 };
    const int32_t chunks = (dims + 63) / 64;
    const int32_t tail = dims & 63;
    const __mmask64 tail_mask = tail == 0 ? ~(__mmask64)0 : (((__mmask64)1 << tail) - 1);
    if (chunks > MAX_CHUNKS) {
        /* Longer than 1024 dims: recompute the query's form per row (still exact, slightly slower). */
        for (int64_t i = 0; i < count; i++) {
            const int8_t* r = SCK_ROW(rows, ids, i, stride);
            __m512i acc = _mm512_setzero_si512();
            for (int32_t c = 0; c < chunks; c++) {
                __mmask64 m = c == chunks - 1 ? tail_mask : ~(__mmask64)0;
                __m512i qv = _mm512_maskz_loadu_epi8(m, q + c * 64);
                __m512i rv = _mm512_maskz_loadu_epi8(m, r + c * 64);
                __mmask64 neg = _mm512_movepi8_mask(qv);
                rv = _mm512_mask_sub_epi8(rv, neg, _mm512_setzero_si512(), rv);
                acc = _mm512_dpbusd_epi32(acc, _mm512_abs_epi8(qv), rv);
            }
            out[i] = _mm512_reduce_add_epi32(acc);
        }
        return;
    }

    __m512i qabs[MAX_CHUNKS];
    __mmask64 qneg[MAX_CHUNKS];
    for (int32_t c = 0; c < chunks; c++) {
        __mmask64 m = c == chunks - 1 ? tail_mask : ~(__mmask64)0;
        __m512i qv = _mm512_maskz_loadu_epi8(m, q + c * 64);
        qabs[c] = _mm512_abs_epi8(qv);
        qneg[c] = _mm512_movepi8_mask(qv);
    }

    const __m512i zero = _mm512_setzero_si512();
    int64_t i = 0;
    /* Two rows at a time: independent accumulator chains hide vpdpbusd's latency. */
    for (; i + 2 <= count; i += 2) {
        const int8_t* r0 = SCK_ROW(rows, ids, i, stride);
        const int8_t* r1 = SCK_ROW(rows, ids, i + 1, stride);
        __m512i acc0 = zero, acc1 = zero;
        int32_t c = 0;
        for (; c < chunks - 1; c++) {
            __m512i v0 = _mm512_loadu_si512((const void*)(r0 + c * 64));
            __m512i v1 = _mm512_loadu_si512((const void*)(r1 + c * 64));
            acc0 = _mm512_dpbusd_epi32(acc0, qabs[c], _mm512_mask_sub_epi8(v0, qneg[c], zero, v0));
            acc1 = _mm512_dpbusd_epi32(acc1, qabs[c], _mm512_mask_sub_epi8(v1, qneg[c], zero, v1));
        }
        __m512i v0 = _mm512_maskz_loadu_epi8(tail_mask, r0 + c * 64);
        __m512i v1 = _mm512_maskz_loadu_epi8(tail_mask, r1 + c * 64);
        acc0 = _mm512_dpbusd_epi32(acc0, qabs[c], _mm512_mask_sub_epi8(v0, qneg[c], zero, v0));
        acc1 = _mm512_dpbusd_epi32(acc1, qabs[c], _mm512_mask_sub_epi8(v1, qneg[c], zero, v1));
        out[i] = _mm512_reduce_add_epi32(acc0);
        out[i + 1] = _mm512_reduce_add_epi32(acc1);
    }
    for (; i < count; i++) {
        const int8_t* r = SCK_ROW(rows, ids, i, stride);
        __m512i acc = zero;
        int32_t c = 0;
        for (; c < chunks - 1; c++) {
            __m512i v = _mm512_loadu_si512((const void*)(r + c * 64));
            acc = _mm512_dpbusd_epi32(acc, qabs[c], _mm512_mask_sub_epi8(v, qneg[c], zero, v));
        }
        __m512i v = _mm512_maskz_loadu_epi8(tail_mask, r + c * 64);
        acc = _mm512_dpbusd_epi32(acc, qabs[c], _mm512_mask_sub_epi8(v, qneg[c], zero, v));
        out[i] = _mm512_reduce_add_epi32(acc);
    }
}

SCK_AVX512POPCNT void sck_hamming_avx512(const uint64_t* q, const uint64_t* rows, const uint32_t* ids, int64_t count, int32_t words, int64_t stride, int32_t* out)
{
    const int32_t tail = words & 7;
    const __mmask8 tail_mask = (__mmask8)((1u << tail) - 1u);
    for (int64_t i = 0; i < count; i++) {
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
