/* CTest: every variant this CPU supports must match the scalar one, on odd sizes and strides.
 * int8 and Hamming exactly; float32 within 1e-5 of sum(|q_i * r_i|) (the bound on reordering error
 * for these lengths is far below that). Prints which variants ran so a log shows what was covered. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "semcache_kernels.h"

static const int32_t kSizes[] = { 1, 7, 383, 384, 385, 6 * 512 + 7 };
static const char* const kVariantNames[] = { "auto", "scalar", "avx2", "avx512" };
enum { ROWS = 5, PAD = 3 };
static const uint32_t kReversed[ROWS] = { 4, 3, 2, 1, 0 }; /* a gathered batch: the same rows, reversed */

static uint64_t g_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next_u64(void)
{
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return g_state;
}

static int failures;
#define CHECK(cond, ...) do { if (!(cond)) { failures++; fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)

static void test_f32(int32_t variant, int32_t dims)
{
    int64_t stride = dims + PAD;
    float* q = malloc(sizeof(float) * dims);
    float* rows = malloc(sizeof(float) * stride * ROWS);
    float *expected = malloc(sizeof(float) * ROWS), *actual = malloc(sizeof(float) * ROWS);
    for (int32_t d = 0; d < dims; d++) q[d] = (float)((int64_t)(next_u64() % 20001) - 10000) / 10000.0f;
    for (int64_t i = 0; i < stride * ROWS; i++) rows[i] = (float)((int64_t)(next_u64() % 20001) - 10000) / 10000.0f;
    CHECK(sck_dot_f32_variant(SCK_VARIANT_SCALAR, q, rows, NULL, ROWS, dims, stride, expected) == 0, "scalar f32");
    CHECK(sck_dot_f32_variant(variant, q, rows, NULL, ROWS, dims, stride, actual) == 0, "f32 variant %d", variant);
    float gathered[ROWS];
    CHECK(sck_dot_f32_variant(variant, q, rows, kReversed, ROWS, dims, stride, gathered) == 0, "f32 gathered");
    for (int i = 0; i < ROWS; i++) {
        CHECK(gathered[i] == actual[ROWS - 1 - i], "f32 gathered %s dims=%d row=%d", kVariantNames[variant], dims, i);
        double magnitude = 0;
        for (int32_t d = 0; d < dims; d++) magnitude += fabs((double)q[d] * rows[i * stride + d]);
        CHECK(fabs((double)expected[i] - actual[i]) <= 1e-5 * (magnitude > 1 ? magnitude : 1),
              "f32 %s dims=%d row=%d: %.9g vs %.9g", kVariantNames[variant], dims, i, expected[i], actual[i]);
    }
    free(q); free(rows); free(expected); free(actual);
}

static void test_i8(int32_t variant, int32_t dims, int extreme)
{
    int64_t stride = dims + PAD;
    int8_t* q = malloc((size_t)dims);
    int8_t* rows = malloc((size_t)(stride * ROWS));
    int32_t expected[ROWS], actual[ROWS];
    for (int32_t d = 0; d < dims; d++) q[d] = extreme ? (int8_t)(d % 2 ? -127 : 127) : (int8_t)((int64_t)(next_u64() % 255) - 127);
    for (int64_t i = 0; i < stride * ROWS; i++) rows[i] = extreme ? (int8_t)((i % 2) ? -127 : 127) : (int8_t)((int64_t)(next_u64() % 255) - 127);
    CHECK(sck_dot_i8_variant(SCK_VARIANT_SCALAR, q, rows, NULL, ROWS, dims, stride, expected) == 0, "scalar i8");
    CHECK(sck_dot_i8_variant(variant, q, rows, NULL, ROWS, dims, stride, actual) == 0, "i8 variant %d", variant);
    int32_t gathered[ROWS];
    CHECK(sck_dot_i8_variant(variant, q, rows, kReversed, ROWS, dims, stride, gathered) == 0, "i8 gathered");
    for (int i = 0; i < ROWS; i++) {
        CHECK(gathered[i] == expected[ROWS - 1 - i], "i8 gathered %s dims=%d row=%d", kVariantNames[variant], dims, i);
        CHECK(expected[i] == actual[i], "i8 %s dims=%d row=%d extreme=%d: %d vs %d", kVariantNames[variant], dims, i, extreme, expected[i], actual[i]);
    }
    free(q); free(rows);
}

static void test_hamming(int32_t variant, int32_t words)
{
    int64_t stride = words + PAD;
    uint64_t* q = malloc(sizeof(uint64_t) * words);
    uint64_t* rows = malloc(sizeof(uint64_t) * stride * ROWS);
    int32_t expected[ROWS], actual[ROWS];
    for (int32_t w = 0; w < words; w++) q[w] = next_u64();
    for (int64_t i = 0; i < stride * ROWS; i++) rows[i] = next_u64();
    rows[0] = ~q[0]; /* a word that differs in every bit */
    CHECK(sck_hamming_variant(SCK_VARIANT_SCALAR, q, rows, NULL, ROWS, words, stride, expected) == 0, "scalar hamming");
    CHECK(sck_hamming_variant(variant, q, rows, NULL, ROWS, words, stride, actual) == 0, "hamming variant %d", variant);
    int32_t gathered[ROWS];
    CHECK(sck_hamming_variant(variant, q, rows, kReversed, ROWS, words, stride, gathered) == 0, "hamming gathered");
    for (int i = 0; i < ROWS; i++) {
        CHECK(gathered[i] == expected[ROWS - 1 - i], "hamming gathered %s words=%d row=%d", kVariantNames[variant], words, i);
        CHECK(expected[i] == actual[i], "hamming %s words=%d row=%d: %d vs %d", kVariantNames[variant], words, i, expected[i], actual[i]);
    }
    free(q); free(rows);
}

static int run_variants(void)
{
    printf("abi %d, dispatch: %s\n", sck_abi_version(), sck_variants());
    CHECK(sck_abi_version() == SCK_ABI_VERSION, "abi version");
    for (int32_t variant = SCK_VARIANT_SCALAR; variant <= SCK_VARIANT_AVX512; variant++) {
        for (int32_t family = 0; family < 3; family++) {
            if (!sck_variant_supported(family, variant)) {
                printf("skipped: family %d variant %s (not supported by this CPU)\n", family, kVariantNames[variant]);
                continue;
            }
            printf("ran: family %d variant %s\n", family, kVariantNames[variant]);
            for (size_t s = 0; s < sizeof kSizes / sizeof kSizes[0]; s++) {
                if (family == 0) test_f32(variant, kSizes[s]);
                if (family == 1) { test_i8(variant, kSizes[s], 0); test_i8(variant, kSizes[s], 1); }
                if (family == 2) test_hamming(variant, kSizes[s]);
            }
        }
    }
    return failures;
}

static int run_topk(void)
{
    enum { N = 1000 };
    static float scores[N];
    for (int i = 0; i < N; i++) scores[i] = (float)(next_u64() % 200) / 10.0f; /* many ties */
    scores[17] = NAN;
    for (int32_t k = 0; k <= N + 5; k += (k < 20 ? 1 : 97)) {
        int64_t* got = malloc(sizeof(int64_t) * (size_t)(k + 1));
        int32_t n = sck_top_k_f32(scores, N, k, got);
        int32_t want = k < N - 1 ? k : N - 1;
        CHECK(n == want, "top-k count k=%d: %d", k, n);
        /* Reference: selection by repeated scans, best score then lowest index. */
        static unsigned char taken[N];
        memset(taken, 0, sizeof taken);
        for (int32_t j = 0; j < n; j++) {
            int64_t best = -1;
            for (int64_t i = 0; i < N; i++) {
                if (taken[i] || isnan(scores[i])) continue;
                if (best < 0 || scores[i] > scores[best]) best = i;
            }
            taken[best] = 1;
            CHECK(got[j] == best, "top-k k=%d rank %d: %lld vs %lld", k, j, (long long)got[j], (long long)best);
        }
        free(got);
    }
    return failures;
}

static int run_args(void)
{
    float f = 1, out = 0;
    int64_t index = 0;
    CHECK(sck_dot_f32(NULL, &f, 1, 1, 1, &out) == -1, "null query");
    CHECK(sck_dot_f32(&f, &f, 1, 0, 1, &out) == -1, "zero dims");
    CHECK(sck_dot_f32(&f, &f, 1, 2, 1, &out) == -1, "stride < dims");
    CHECK(sck_dot_f32(&f, &f, -1, 1, 1, &out) == -1, "negative count");
    CHECK(sck_dot_f32(NULL, NULL, 0, 1, 1, NULL) == 0, "empty batch");
    CHECK(sck_dot_f32_variant(99, &f, &f, NULL, 1, 1, 1, &out) == -1, "unknown variant");
    CHECK(sck_dot_f32_ids(&f, &f, NULL, 1, 1, 1, &out) == -1, "gathered batch without ids");
    CHECK(sck_top_k_f32(&f, 1, -1, &index) == -1, "negative k");
    CHECK(sck_top_k_f32(NULL, 1, 1, &index) == -1, "null scores");
    CHECK(sck_variant_supported(7, SCK_VARIANT_SCALAR) == 0, "unknown family");
    return failures;
}

int main(int argc, char** argv)
{
    const char* which = argc > 1 ? argv[1] : "variants";
    int rc = strcmp(which, "topk") == 0 ? run_topk() : strcmp(which, "args") == 0 ? run_args() : run_variants();
    printf("%s: %d failure(s)\n", which, rc);
    return rc == 0 ? 0 : 1;
}
