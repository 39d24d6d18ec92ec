/* Runtime dispatch: cpuid is read once (at load, and lazily if a caller races the constructor) and
 * each kernel family gets the widest variant the CPU and OS support. */
#include <stdatomic.h>
#include <stdio.h>

#include "internal.h"

typedef struct {
    sck_dot_f32_fn dot_f32;
    sck_dot_i8_fn dot_i8;
    sck_hamming_fn hamming;
    int32_t f32_variant;
    int32_t i8_variant;
    int32_t bin_variant;
    char names[160];
} sck_table;

static sck_table g_table;
static atomic_int g_ready;

static int32_t cpu_supports(int32_t family, int32_t variant)
{
    if (variant == SCK_VARIANT_SCALAR) {
        return 1;
    }
#if SCK_X86 && defined(__GNUC__)
    __builtin_cpu_init();
    /* __builtin_cpu_supports also checks that the OS saves the wide registers (XGETBV). */
    if (variant == SCK_VARIANT_AVX2) {
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("popcnt");
    }
    if (variant == SCK_VARIANT_AVX512) {
        if (!__builtin_cpu_supports("avx512f")) {
            return 0;
        }
        switch (family) {
        case 0:
            return __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx512vl");
        case 1:
            return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vnni");
        case 2:
            return __builtin_cpu_supports("avx512vpopcntdq") && __builtin_cpu_supports("popcnt");
        default:
            return 0;
        }
    }
#else
    (void)family;
#endif
    return 0;
}

static int32_t best_variant(int32_t family)
{
    if (cpu_supports(family, SCK_VARIANT_AVX512)) {
        return SCK_VARIANT_AVX512;
    }
    if (cpu_supports(family, SCK_VARIANT_AVX2)) {
        return SCK_VARIANT_AVX2;
    }
    return SCK_VARIANT_SCALAR;
}

static sck_dot_f32_fn f32_for(int32_t variant)
{
#if SCK_X86
    if (variant == SCK_VARIANT_AVX512) return sck_dot_f32_avx512;
    if (variant == SCK_VARIANT_AVX2) return sck_dot_f32_avx2;
#endif
    (void)variant;
    return sck_dot_f32_scalar;
}

static sck_dot_i8_fn i8_for(int32_t variant)
{
#if SCK_X86
    if (variant == SCK_VARIANT_AVX512) return sck_dot_i8_avx512;
    if (variant == SCK_VARIANT_AVX2) return sck_dot_i8_avx2;
#endif
    (void)variant;
    return sck_dot_i8_scalar;
}

static sck_hamming_fn hamming_for(int32_t variant)
{
#if SCK_X86
    if (variant == SCK_VARIANT_AVX512) return sck_hamming_avx512;
    if (variant == SCK_VARIANT_AVX2) return sck_hamming_avx2;
#endif
    (void)variant;
    return sck_hamming_scalar;
}

static const char* name_of(int32_t family, int32_t variant)
{
    static const char* const avx512[] = { "avx512f", "avx512vnni", "avx512vpopcntdq" };
    static const char* const avx2[] = { "avx2", "avx2", "avx2" };
    if (variant == SCK_VARIANT_AVX512) return avx512[family];
    if (variant == SCK_VARIANT_AVX2) return avx2[family];
    return "scalar";
}

static void sck_init(void)
{
    if (atomic_load_explicit(&g_ready, memory_order_acquire)) {
        return;
    }
    /* Two racing initialisers compute the same table; the second write is identical. */
    sck_table t;
    t.f32_variant = best_variant(0);
    t.i8_variant = best_variant(1);
    t.bin_variant = best_variant(2);
    t.dot_f32 = f32_for(t.f32_variant);
    t.dot_i8 = i8_for(t.i8_variant);
    t.hamming = hamming_for(t.bin_variant);
    snprintf(t.names, sizeof t.names, "float32=%s,int8=%s,binary=%s,topk=scalar",
             name_of(0, t.f32_variant), name_of(1, t.i8_variant), name_of(2, t.bin_variant));
    g_table = t;
    atomic_store_explicit(&g_ready, 1, memory_order_release);
}

__attribute__((constructor)) static void sck_load(void) { sck_init(); }

static int args_ok(const void* q, const void* rows, int64_t count, int32_t dims, int64_t stride, const void* out)
{
    if (count < 0 || dims < 1 || stride < dims) return 0;
    if (count == 0) return 1;
    return q != NULL && rows != NULL && out != NULL;
}

int32_t sck_abi_version(void) { return SCK_ABI_VERSION; }

const char* sck_variants(void)
{
    sck_init();
    return g_table.names;
}

int32_t sck_variant_supported(int32_t family, int32_t variant)
{
    if (family < 0 || family > 2) return 0;
    if (variant == SCK_VARIANT_AUTO) return 1;
    if (variant < SCK_VARIANT_SCALAR || variant > SCK_VARIANT_AVX512) return 0;
    return cpu_supports(family, variant);
}

int32_t sck_dot_f32(const float* query, const float* rows, int64_t count, int32_t dims, int64_t stride, float* out)
{
    if (!args_ok(query, rows, count, dims, stride, out)) return -1;
    sck_init();
    g_table.dot_f32(query, rows, NULL, count, dims, stride, out);
    return 0;
}

int32_t sck_dot_i8(const int8_t* query, const int8_t* rows, int64_t count, int32_t dims, int64_t stride, int32_t* out)
{
    if (!args_ok(query, rows, count, dims, stride, out)) return -1;
    sck_init();
    g_table.dot_i8(query, rows, NULL, count, dims, stride, out);
    return 0;
}

int32_t sck_hamming(const uint64_t* query, const uint64_t* rows, int64_t count, int32_t words, int64_t stride, int32_t* out)
{
    if (!args_ok(query, rows, count, words, stride, out)) return -1;
    sck_init();
    g_table.hamming(query, rows, NULL, count, words, stride, out);
    return 0;
}

int32_t sck_dot_f32_ids(const float* query, const float* base, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, float* out)
{
    if (!args_ok(query, base, count, dims, stride, out) || (count > 0 && ids == NULL)) return -1;
    sck_init();
    g_table.dot_f32(query, base, ids, count, dims, stride, out);
    return 0;
}

int32_t sck_dot_i8_ids(const int8_t* query, const int8_t* base, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, int32_t* out)
{
    if (!args_ok(query, base, count, dims, stride, out) || (count > 0 && ids == NULL)) return -1;
    sck_init();
    g_table.dot_i8(query, base, ids, count, dims, stride, out);
    return 0;
}

int32_t sck_hamming_ids(const uint64_t* query, const uint64_t* base, const uint32_t* ids, int64_t count, int32_t words, int64_t stride, int32_t* out)
{
    if (!args_ok(query, base, count, words, stride, out) || (count > 0 && ids == NULL)) return -1;
    sck_init();
    g_table.hamming(query, base, ids, count, words, stride, out);
    return 0;
}

static int32_t resolve(int32_t family, int32_t variant)
{
    if (variant == SCK_VARIANT_AUTO) return best_variant(family);
    if (variant < SCK_VARIANT_SCALAR || variant > SCK_VARIANT_AVX512) return -1;
    return cpu_supports(family, variant) ? variant : -2;
}

int32_t sck_dot_f32_variant(int32_t variant, const float* query, const float* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, float* out)
{
    if (!args_ok(query, rows, count, dims, stride, out)) return -1;
    int32_t v = resolve(0, variant);
    if (v < 0) return v;
    f32_for(v)(query, rows, ids, count, dims, stride, out);
    return 0;
}

int32_t sck_dot_i8_variant(int32_t variant, const int8_t* query, const int8_t* rows, const uint32_t* ids, int64_t count, int32_t dims, int64_t stride, int32_t* out)
{
    if (!args_ok(query, rows, count, dims, stride, out)) return -1;
    int32_t v = resolve(1, variant);
    if (v < 0) return v;
    i8_for(v)(query, rows, ids, count, dims, stride, out);
    return 0;
}

int32_t sck_hamming_variant(int32_t variant, const uint64_t* query, const uint64_t* rows, const uint32_t* ids, int64_t count, int32_t words, int64_t stride, int32_t* out)
{
    if (!args_ok(query, rows, count, words, stride, out)) return -1;
    int32_t v = resolve(2, variant);
    if (v < 0) return v;
    hamming_for(v)(query, rows, ids, count, words, stride, out);
    return 0;
}
