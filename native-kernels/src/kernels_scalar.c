/* The reference variants: plain loops that every other variant must match (CTest compares them). */
#include "internal.h"

void sck_dot_f32_scalar(const float* q, const float* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, float* out)
{
    for (int64_t i = 0; i < count; i++) {
        const float* r = SCK_ROW(rows, ids, i, stride);
        float sum = 0.0f;
        for (int32_t d = 0; d < dims; d++) {
            sum += q[d] * r[d];
        }
        out[i] = sum;
    }
}

void sck_dot_i8_scalar(const int8_t* q, const int8_t* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, int32_t* out)
{
    for (int64_t i = 0; i < count; i++) {
        const int8_t* r = SCK_ROW(rows, ids, i, stride);
        int32_t sum = 0;
        for (int32_t d = 0; d < dims; d++) {
            sum += (int32_t)q[d] * (int32_t)r[d];
        }
        out[i] = sum;
    }
}

/* Portable population count (SWAR): the scalar variant must not depend on a popcnt instruction. */
static int32_t popcount64(uint64_t x)
{
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int32_t)((x * 0x0101010101010101ULL) >> 56);
}

void sck_hamming_scalar(const uint64_t* q, const uint64_t* rows, const uint32_t* ids, int64_t count, int32_t words, int64_t stride, int32_t* out)
{
    for (int64_t i = 0; i < count; i++) {
        const uint64_t* r = SCK_ROW(rows, ids, i, stride);
        int32_t sum = 0;
        for (int32_t w = 0; w < words; w++) {
            sum += popcount64(q[w] ^ r[w]);
        }
        out[i] = sum;
    }
}
