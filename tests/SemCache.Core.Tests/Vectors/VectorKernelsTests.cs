using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using SemCache.Vectors;
using Xunit.Abstractions;

namespace SemCache.Tests.Vectors;

[Trait("Category", "Kernels")]
public sealed class VectorKernelsTests(ITestOutputHelper output)
{
    public static TheoryData<int> Sizes => new() { 1, 7, 383, 384, 385, (6 * 512) + 7 };

    private static (float[] X, float[] Y) Pair(int size)
    {
        var random = new Random(size);
        var x = new float[size];
        var y = new float[size];
        for (var i = 0; i < size; i++)
        {
            x[i] = (float)((random.NextDouble() * 2) - 1);
            y[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return (x, y);
    }

    // Float sums of up to ~3k products in [-1, 1] differ from the double reference by reassociation only:
    // a relative bound of 1e-5 on the sum of |products| (plus an absolute floor) is far above that error yet
    // catches any dropped or double-counted element.
    private static void AssertClose(double expected, float actual, float[] x, float[] y)
    {
        var scale = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            scale += Math.Abs((double)x[i] * y[i]);
        }

        Assert.InRange(actual, expected - (1e-5 * scale) - 1e-6, expected + (1e-5 * scale) + 1e-6);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Dot_on_the_active_path_matches_the_scalar_reference(int size)
    {
        var (x, y) = Pair(size);
        output.WriteLine($"active path: {VectorKernels.ActivePath}");
        AssertClose(VectorTestData.Dot(x, y), VectorKernels.Dot(x, y), x, y);
        AssertClose(VectorTestData.Dot(x, y), TensorPrimitives.Dot(x, y), x, y);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Dot_Vector512_path_matches_the_scalar_reference_where_supported(int size)
    {
        var (x, y) = Pair(size);
        if (!Vector512.IsHardwareAccelerated || size < Vector512<float>.Count)
        {
            output.WriteLine("Vector512 path not exercised: not accelerated here or shorter than one register.");
            return;
        }

        output.WriteLine("Vector512 path exercised");
        AssertClose(VectorTestData.Dot(x, y), VectorKernels.DotVector512(ref x[0], ref y[0], size), x, y);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Dot_Vector256_path_matches_the_scalar_reference_where_supported(int size)
    {
        var (x, y) = Pair(size);
        if (!Vector256.IsHardwareAccelerated || size < Vector256<float>.Count)
        {
            output.WriteLine("Vector256 path not exercised: not accelerated here or shorter than one register.");
            return;
        }

        output.WriteLine("Vector256 path exercised");
        AssertClose(VectorTestData.Dot(x, y), VectorKernels.DotVector256(ref x[0], ref y[0], size), x, y);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Dot_scalar_path_matches_the_double_reference(int size)
    {
        var (x, y) = Pair(size);
        AssertClose(VectorTestData.Dot(x, y), VectorKernels.DotScalar(ref x[0], ref y[0], size), x, y);
    }

    [Fact]
    public void Dot_ignores_memory_past_the_end_of_the_spans()
    {
        // A tail handled with overlapping or masked loads must never count elements beyond the length.
        var x = Enumerable.Repeat(1f, 64).ToArray();
        var y = Enumerable.Repeat(1f, 64).ToArray();
        for (var length = 1; length < 40; length++)
        {
            Assert.Equal(length, VectorKernels.Dot(x.AsSpan(0, length), y.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Dot_rejects_spans_of_different_lengths()
    {
        var e = Assert.Throws<ArgumentException>(() => VectorKernels.Dot(new float[3], new float[4]));
        Assert.Equal("y", e.ParamName);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void TryNormalize_produces_a_unit_vector_with_the_same_direction(int size)
    {
        var (x, _) = Pair(size);
        x[0] = 3; // never all-zero
        var unit = new float[size];
        Assert.Equal(VectorStatus.Ok, VectorKernels.TryNormalize(x, unit));
        Assert.InRange(VectorTestData.Dot(unit, unit), 1 - 1e-5, 1 + 1e-5);
        var norm = Math.Sqrt(VectorTestData.Dot(x, x));
        Assert.InRange(VectorTestData.Dot(unit, x), norm * (1 - 1e-5), norm * (1 + 1e-5));
    }

    [Fact]
    public void TryNormalize_works_in_place_and_survives_huge_and_tiny_magnitudes()
    {
        float[] huge = [3e30f, 4e30f];
        Assert.Equal(VectorStatus.Ok, VectorKernels.TryNormalize(huge, huge));
        Assert.Equal(0.6f, huge[0], 5);
        Assert.Equal(0.8f, huge[1], 5);

        float[] tiny = [3e-30f, 4e-30f];
        Assert.Equal(VectorStatus.Ok, VectorKernels.TryNormalize(tiny, tiny));
        Assert.Equal(0.6f, tiny[0], 5);
        Assert.Equal(0.8f, tiny[1], 5);
    }

    [Fact]
    public void TryNormalize_reports_invalid_input_without_throwing()
    {
        var dst = new float[4];
        Assert.Equal(VectorStatus.NonFinite, VectorKernels.TryNormalize([1, float.NaN, 0, 0], dst));
        Assert.Equal(VectorStatus.NonFinite, VectorKernels.TryNormalize([1, 0, float.PositiveInfinity, 0], dst));
        Assert.Equal(VectorStatus.NonFinite, VectorKernels.TryNormalize([1, 0, 0, float.NegativeInfinity], dst));
        Assert.Equal(VectorStatus.ZeroNorm, VectorKernels.TryNormalize([0, 0, 0, 0], dst));
        Assert.Equal(VectorStatus.Empty, VectorKernels.TryNormalize([], dst));
        Assert.Equal(VectorStatus.DestinationTooShort, VectorKernels.TryNormalize([1, 2, 3, 4, 5], dst));
    }

    [Fact]
    public void Dot_on_padded_arena_strides_matches_the_reference()
    {
        // The index calls the kernel on zero-padded, 64-byte aligned rows of 16-float multiples.
        var (x, y) = Pair(384);
        var px = new float[400];
        var py = new float[400];
        x.CopyTo(px, 0);
        y.CopyTo(py, 0);
        AssertClose(VectorTestData.Dot(x, y), VectorKernels.Dot(ref MemoryMarshal.GetArrayDataReference(px), ref MemoryMarshal.GetArrayDataReference(py), 400), x, y);
    }
}
