using SemCache.Vectors;
using SemCache.Vectors.Native;
using Xunit.Abstractions;

namespace SemCache.Tests.Vectors;

/// <summary>
/// libsemcache_kernels against the managed kernels, on the sizes of the issue (odd lengths around one 384-d vector and
/// past 6 x 512): int8 and Hamming exactly, float32 within 1e-5 of the sum of |products|. Each test writes which
/// kernels ran; without the library (or with SEMCACHE_KERNELS=managed) the native tests are skipped with the reason.
/// </summary>
[Trait("Category", "Kernels")]
public sealed unsafe class NativeKernelsTests(ITestOutputHelper output)
{
    private const int Rows = 5;
    private const int Pad = 3;

    public static TheoryData<int> Sizes => new() { 1, 7, 383, 384, 385, (6 * 512) + 7 };

    /// <summary>Variants of the C API: 1 scalar, 2 AVX2, 3 AVX-512 (VNNI / VPOPCNTDQ for int8 / binary).</summary>
    public static TheoryData<int> Variants => new() { 1, 2, 3 };

    [Fact]
    public void The_library_built_beside_the_tests_is_used_unless_the_managed_kernels_are_forced()
    {
        output.WriteLine(VectorScorers.Describe());
        var built = File.Exists(Path.Combine(AppContext.BaseDirectory, "libsemcache_kernels.so"));
        if (NativeKernelLibrary.ForcedManaged)
        {
            Assert.False(NativeKernelLibrary.IsLoaded);
            Assert.Contains("SEMCACHE_KERNELS=managed", NativeKernelLibrary.Status, StringComparison.Ordinal);
            Assert.Equal("managed", VectorScorers.Default.Family);
        }
        else if (built && OperatingSystem.IsLinux())
        {
            Assert.True(NativeKernelLibrary.IsLoaded, NativeKernelLibrary.Status);
            Assert.Equal("native", VectorScorers.Default.Family);
            Assert.Contains("int8=", NativeKernelLibrary.Variants, StringComparison.Ordinal);
        }
        else
        {
            Assert.False(NativeKernelLibrary.IsLoaded);
            Assert.Equal("managed", VectorScorers.Default.Family);
            Assert.Contains("not found", NativeKernelLibrary.Status, StringComparison.Ordinal);
        }

        Assert.Equal("managed", VectorScorers.For(forceManaged: true).Family);
    }

    [NativeKernelsFact]
    public void The_library_implements_the_abi_version_these_declarations_were_written_for()
    {
        output.WriteLine($"native: {NativeKernelLibrary.Variants}");
        Assert.Equal(NativeKernelLibrary.AbiVersion, NativeMethods.AbiVersion());
    }

    [NativeKernelsTheory]
    [MemberData(nameof(Sizes))]
    public void Native_int8_dot_products_equal_the_managed_ones_exactly(int dims)
    {
        var (query, rows) = Int8Data(dims, seed: dims);
        AssertInt8Agree(dims, query, rows);

        // The extremes: every product is +-127 * 127, the largest sums the encoding can produce.
        var extremeQuery = Enumerable.Range(0, dims).Select(i => (sbyte)(i % 2 == 0 ? 127 : -127)).ToArray();
        var extremeRows = Enumerable.Range(0, Rows * (dims + Pad)).Select(i => (sbyte)(i % 3 == 0 ? -127 : 127)).ToArray();
        AssertInt8Agree(dims, extremeQuery, extremeRows);
    }

    [NativeKernelsTheory]
    [MemberData(nameof(Sizes))]
    public void Native_hamming_distances_equal_the_managed_ones_exactly(int words)
    {
        var random = new Random(words);
        var query = new ulong[words];
        var rows = new ulong[Rows * (words + Pad)];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(query.AsSpan()));
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(rows.AsSpan()));
        rows[0] = ~query[0];
        var stride = words + Pad;
        var native = new int[Rows];
        var managed = new int[Rows];
        var gathered = new int[Rows];
        var ids = new uint[] { 4, 3, 2, 1, 0 };
        fixed (ulong* q = query, r = rows)
        fixed (int* n = native, m = managed, g = gathered)
        fixed (uint* i = ids)
        {
            NativeVectorScorer.Instance.Hamming(q, r, Rows, words, stride, n);
            ManagedVectorScorer.Instance.Hamming(q, r, Rows, words, stride, m);
            NativeVectorScorer.Instance.Hamming(q, r, i, Rows, words, stride, g);
        }

        for (var row = 0; row < Rows; row++)
        {
            var reference = 0;
            for (var w = 0; w < words; w++)
            {
                reference += System.Numerics.BitOperations.PopCount(query[w] ^ rows[(row * stride) + w]);
            }

            Assert.Equal(reference, managed[row]);
            Assert.Equal(reference, native[row]);
            Assert.Equal(reference, gathered[Rows - 1 - row]);
        }

        output.WriteLine($"native {NativeVectorScorer.Instance.Variants} vs managed {ManagedVectorScorer.Instance.Variants}: {words} words agree");
    }

    [NativeKernelsTheory]
    [MemberData(nameof(Sizes))]
    public void Native_float32_dot_products_agree_with_the_managed_ones_within_1e5_relative(int dims)
    {
        var random = new Random(dims);
        var stride = dims + Pad;
        var query = Enumerable.Range(0, dims).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var rows = Enumerable.Range(0, Rows * stride).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var native = new float[Rows];
        var managed = new float[Rows];
        var gathered = new float[Rows];
        var ids = new uint[] { 4, 3, 2, 1, 0 };
        fixed (float* q = query, r = rows, n = native, m = managed, g = gathered)
        fixed (uint* i = ids)
        {
            NativeVectorScorer.Instance.DotF32(q, r, Rows, dims, stride, n);
            ManagedVectorScorer.Instance.DotF32(q, r, Rows, dims, stride, m);
            NativeVectorScorer.Instance.DotF32(q, r, i, Rows, dims, stride, g);
        }

        for (var row = 0; row < Rows; row++)
        {
            // Reassociation error of a few thousand float products is ~1e-7 of the sum of |products|; 1e-5 of it
            // is the issue's bound and still catches any dropped or doubled element.
            var magnitude = 0.0;
            for (var d = 0; d < dims; d++)
            {
                magnitude += Math.Abs((double)query[d] * rows[(row * stride) + d]);
            }

            var tolerance = 1e-5 * Math.Max(magnitude, 1);
            Assert.InRange(native[row], managed[row] - tolerance, managed[row] + tolerance);
            Assert.Equal(native[row], gathered[Rows - 1 - row]);
        }

        output.WriteLine($"native {NativeVectorScorer.Instance.Variants} vs managed {ManagedVectorScorer.Instance.Variants}: {dims} dims agree");
    }

    [NativeKernelsTheory]
    [MemberData(nameof(Variants))]
    public void Every_native_variant_this_cpu_supports_matches_the_scalar_one(int variant)
    {
        var ran = new List<string>();
        foreach (var dims in new[] { 1, 7, 383, 384, 385, (6 * 512) + 7 })
        {
            var (query, rows) = Int8Data(dims, seed: dims + 1);
            var stride = dims + Pad;
            var expected = new int[Rows];
            var actual = new int[Rows];
            fixed (sbyte* q = query, r = rows)
            fixed (int* e = expected, a = actual)
            {
                Assert.Equal(0, NativeMethods.DotI8Variant(1, q, r, null, Rows, dims, stride, e));
                var status = NativeMethods.DotI8Variant(variant, q, r, null, Rows, dims, stride, a);
                if (status == -2)
                {
                    output.WriteLine($"variant {variant}: not supported by this CPU, int8 not compared");
                    return;
                }

                Assert.Equal(0, status);
            }

            Assert.Equal(expected, actual);
            ran.Add(dims.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        output.WriteLine($"variant {variant}: int8 equal to scalar on {string.Join(", ", ran)} dims");
    }

    [NativeKernelsFact]
    public void Native_top_k_returns_the_best_scores_best_first_with_ties_to_the_lower_index()
    {
        var random = new Random(5);
        var scores = Enumerable.Range(0, 1000).Select(_ => random.Next(200) / 10f).ToArray();
        scores[17] = float.NaN;
        var indices = new long[25];
        int n;
        fixed (float* s = scores)
        fixed (long* i = indices)
        {
            n = NativeMethods.TopK(s, scores.Length, indices.Length, i);
        }

        var expected = scores.Select((score, index) => (score, index: (long)index))
            .Where(p => !float.IsNaN(p.score))
            .OrderByDescending(p => p.score).ThenBy(p => p.index)
            .Take(25).Select(p => p.index).ToArray();
        Assert.Equal(25, n);
        Assert.Equal(expected, indices);
    }

    private static (sbyte[] Query, sbyte[] Rows) Int8Data(int dims, int seed)
    {
        var random = new Random(seed);
        var query = Enumerable.Range(0, dims).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var rows = Enumerable.Range(0, Rows * (dims + Pad)).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        return (query, rows);
    }

    private void AssertInt8Agree(int dims, sbyte[] query, sbyte[] rows)
    {
        var stride = dims + Pad;
        var native = new int[Rows];
        var managed = new int[Rows];
        var gathered = new int[Rows];
        var ids = new uint[] { 4, 3, 2, 1, 0 };
        fixed (sbyte* q = query, r = rows)
        fixed (int* n = native, m = managed, g = gathered)
        fixed (uint* i = ids)
        {
            NativeVectorScorer.Instance.DotI8(q, r, Rows, dims, stride, n);
            ManagedVectorScorer.Instance.DotI8(q, r, Rows, dims, stride, m);
            NativeVectorScorer.Instance.DotI8(q, r, i, Rows, dims, stride, g);
            for (var row = 0; row < Rows; row++)
            {
                Assert.Equal(VectorKernels.DotInt8Scalar(q, r + (row * stride), dims), managed[row]);
            }
        }

        Assert.Equal(managed, native);
        Assert.Equal(native.Reverse(), gathered);
        output.WriteLine($"native {NativeVectorScorer.Instance.Variants} vs managed {ManagedVectorScorer.Instance.Variants}: {dims} dims agree");
    }
}
