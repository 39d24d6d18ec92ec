using System.Numerics;
using SemCache.Vectors;
using SemCache.Vectors.Quantization;
using Xunit.Abstractions;

namespace SemCache.Tests.Vectors;

/// <summary>The managed int8 and Hamming kernels (the fallbacks of every encoding) against plain loops, in every CI mode.</summary>
[Trait("Category", "Kernels")]
public sealed unsafe class ManagedQuantizedKernelsTests(ITestOutputHelper output)
{
    public static TheoryData<int> Sizes => new() { 1, 7, 383, 384, 385, (6 * 512) + 7 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Managed_int8_dot_product_equals_the_plain_loop(int dims)
    {
        var random = new Random(dims);
        var x = Enumerable.Range(0, dims).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var y = Enumerable.Range(0, dims).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
        var extreme = Enumerable.Range(0, dims).Select(i => (sbyte)(i % 2 == 0 ? -127 : 127)).ToArray();
        var expected = 0;
        var expectedExtreme = 0;
        for (var i = 0; i < dims; i++)
        {
            expected += x[i] * y[i];
            expectedExtreme += extreme[i] * extreme[i];
        }

        fixed (sbyte* px = x, py = y, pe = extreme)
        {
            Assert.Equal(expected, VectorKernels.DotInt8(px, py, dims));
            Assert.Equal(expectedExtreme, VectorKernels.DotInt8(pe, pe, dims));
        }

        output.WriteLine($"managed int8 path: {VectorKernels.Int8Path}");
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Int8_query_codes_are_the_scaled_query_rounded_to_nearest_even_and_clamped(int dims)
    {
        var random = new Random(dims + 1);
        const int Rows = 64;
        var data = Enumerable.Range(0, Rows * dims).Select(_ => (random.NextSingle() * 2) - 1).ToArray();
        var query = Enumerable.Range(0, dims).Select(_ => (random.NextSingle() * 3) - 1.5f).ToArray();
        Int8Quantizer quantizer;
        fixed (float* rows = data)
        {
            quantizer = Int8Quantizer.Calibrate(rows, Rows, dims, dims);
        }

        var code = new sbyte[quantizer.CodeBytes];
        Array.Fill(code, (sbyte)99); // padding must come back zero
        float factor;
        fixed (float* q = query)
        fixed (sbyte* c = code)
        {
            quantizer.PrepareQuery(q, c, out factor, out _);
        }

        // The plain definition: t = max |q * scale| / 127, code = clamp(round-to-even(q * scale / t)).
        var scale = quantizer.Scale.ToArray();
        var max = 0f;
        for (var i = 0; i < dims; i++)
        {
            max = Math.Max(max, Math.Abs(query[i] * scale[i]));
        }

        Assert.Equal(max / 127f, factor);
        var inverse = 1f / factor;
        for (var i = 0; i < dims; i++)
        {
            Assert.Equal((sbyte)Math.Clamp(MathF.Round(query[i] * scale[i] * inverse), -127f, 127f), code[i]);
        }

        Assert.All(code[dims..], b => Assert.Equal(0, b));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Managed_hamming_distance_counts_every_differing_bit(int words)
    {
        var random = new Random(words);
        var x = Enumerable.Range(0, words).Select(_ => (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40)).ToArray();
        var y = Enumerable.Range(0, words).Select(_ => (ulong)random.NextInt64()).ToArray();
        var expected = 0;
        for (var w = 0; w < words; w++)
        {
            for (var b = 0; b < 64; b++)
            {
                expected += (int)(((x[w] ^ y[w]) >> b) & 1);
            }
        }

        fixed (ulong* px = x, py = y)
        {
            Assert.Equal(expected, VectorKernels.Hamming(px, py, words));
            Assert.Equal(0, VectorKernels.Hamming(px, px, words));
        }

        output.WriteLine($"managed Hamming path: {VectorKernels.HammingPath}; {BitOperations.PopCount(ulong.MaxValue)} bits per word");
    }
}
