using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SemCache.Vectors;

/// <summary>
/// Float32 similarity kernels. The path is selected by <c>VectorNNN.IsHardwareAccelerated</c>, which the JIT folds
/// to a constant, so the choice is made once per process and costs nothing per call.
/// </summary>
/// <remarks>
/// <see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/> is the reference and the default.
/// The hand-written <see cref="DotVector512"/> is selected where AVX-512 is accelerated because it wins where the
/// index spends its time: in the HNSW search loop (aligned, zero-padded rows, 384 floats) it gave 1.2x the queries
/// per second of TensorPrimitives in alternating <c>semcache eval-index</c> runs on a quiet machine, although an
/// isolated call measures 1.12x slower (DotKernelBenchmarks, ScanKernelBenchmarks; see benchmarks/README.md).
/// <see cref="DotVector256"/> showed no win over TensorPrimitives, so without AVX-512 TensorPrimitives runs; it stays
/// as the measured alternative, tested against the scalar reference in every CI mode.
/// </remarks>
internal static class VectorKernels
{
    /// <summary>The dot-product path this process uses (reported by tests and the CLI).</summary>
    public static string ActivePath =>
        Vector512.IsHardwareAccelerated ? "Vector512"
        : Vector256.IsHardwareAccelerated ? "TensorPrimitives/Vector256"
        : Vector128.IsHardwareAccelerated ? "TensorPrimitives/Vector128"
        : "TensorPrimitives/Scalar";

    /// <summary>Dot product of two spans of equal length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        if (x.Length != y.Length)
        {
            ThrowLengthMismatch();
        }

        return Dot(ref MemoryMarshal.GetReference(x), ref MemoryMarshal.GetReference(y), x.Length);
    }

    /// <summary>Dot product over <paramref name="length"/> floats starting at the two references (no checks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Dot(ref float x, ref float y, int length)
    {
        if (Vector512.IsHardwareAccelerated && length >= Vector512<float>.Count)
        {
            return DotVector512(ref x, ref y, length);
        }

        return TensorPrimitives.Dot(MemoryMarshal.CreateReadOnlySpan(ref x, length), MemoryMarshal.CreateReadOnlySpan(ref y, length));
    }

    /// <summary>Dot product over <paramref name="length"/> floats at two native addresses (no checks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe float Dot(float* x, float* y, int length) => Dot(ref *x, ref *y, length);

    /// <summary>Four independent 512-bit accumulators hide the FMA latency; the tail is one masked overlapping load.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float DotVector512(ref float x, ref float y, int length)
    {
        var n = (nuint)length;
        nuint i = 0;
        var acc0 = Vector512<float>.Zero;
        var acc1 = Vector512<float>.Zero;
        var acc2 = Vector512<float>.Zero;
        var acc3 = Vector512<float>.Zero;
        for (; i + 64 <= n; i += 64)
        {
            acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref y, i), acc0);
            acc1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, i + 16), Vector512.LoadUnsafe(ref y, i + 16), acc1);
            acc2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, i + 32), Vector512.LoadUnsafe(ref y, i + 32), acc2);
            acc3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, i + 48), Vector512.LoadUnsafe(ref y, i + 48), acc3);
        }

        for (; i + 16 <= n; i += 16)
        {
            acc0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, i), Vector512.LoadUnsafe(ref y, i), acc0);
        }

        if (i < n)
        {
            // The last 16 elements overlap ones already summed; mask those lanes out.
            var start = n - 16;
            var already = (int)(i - start);
            var mask = Vector512.GreaterThanOrEqual(Vector512<int>.Indices, Vector512.Create(already)).AsSingle();
            var product = Vector512.LoadUnsafe(ref x, start) * Vector512.LoadUnsafe(ref y, start);
            acc1 += product & mask;
        }

        // Fold halves down to 128 bits before the horizontal add: fewer shuffles than Vector512.Sum.
        var sum = (acc0 + acc1) + (acc2 + acc3);
        var half = sum.GetLower() + sum.GetUpper();
        return Vector128.Sum(half.GetLower() + half.GetUpper());
    }

    /// <summary>The AVX2 path: same shape as <see cref="DotVector512"/> with 256-bit registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float DotVector256(ref float x, ref float y, int length)
    {
        var n = (nuint)length;
        nuint i = 0;
        var acc0 = Vector256<float>.Zero;
        var acc1 = Vector256<float>.Zero;
        var acc2 = Vector256<float>.Zero;
        var acc3 = Vector256<float>.Zero;
        for (; i + 32 <= n; i += 32)
        {
            acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref y, i), acc0);
            acc1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, i + 8), Vector256.LoadUnsafe(ref y, i + 8), acc1);
            acc2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, i + 16), Vector256.LoadUnsafe(ref y, i + 16), acc2);
            acc3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, i + 24), Vector256.LoadUnsafe(ref y, i + 24), acc3);
        }

        for (; i + 8 <= n; i += 8)
        {
            acc0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, i), Vector256.LoadUnsafe(ref y, i), acc0);
        }

        if (i < n)
        {
            var start = n - 8;
            var already = (int)(i - start);
            var mask = Vector256.GreaterThanOrEqual(Vector256<int>.Indices, Vector256.Create(already)).AsSingle();
            var product = Vector256.LoadUnsafe(ref x, start) * Vector256.LoadUnsafe(ref y, start);
            acc1 += product & mask;
        }

        var sum = (acc0 + acc1) + (acc2 + acc3);
        return Vector128.Sum(sum.GetLower() + sum.GetUpper());
    }

    /// <summary>The plain loop: the measured floor in the benchmarks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float DotScalar(ref float x, ref float y, int length)
    {
        var sum = 0f;
        for (nuint i = 0; i < (nuint)length; i++)
        {
            sum += Unsafe.Add(ref x, i) * Unsafe.Add(ref y, i);
        }

        return sum;
    }

    /// <summary>The int8 dot-product path this process uses when the native kernels do not serve.</summary>
    public static string Int8Path =>
        Avx512BW.IsSupported ? "Avx512BW" : Avx2.IsSupported ? "Avx2" : "Scalar";

    /// <summary>The Hamming path: <see cref="BitOperations.PopCount(ulong)"/> is one <c>popcnt</c> where the CPU has it.</summary>
    public static string HammingPath => Popcnt.X64.IsSupported ? "Popcnt" : "Scalar";

    /// <summary>
    /// Exact dot product of two int8 vectors (elements in [-127, 127]). Bytes are widened to int16 and multiplied
    /// pairwise into int32 (<c>vpmaddwd</c>), which cannot overflow; .NET has no 512-bit VNNI, which is what the
    /// native kernel adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe int DotInt8(sbyte* x, sbyte* y, int length)
    {
        var i = 0;
        var sum = 0;
        if (Avx512BW.IsSupported && length >= 32)
        {
            var acc0 = Vector512<int>.Zero;
            var acc1 = Vector512<int>.Zero;
            for (; i + 64 <= length; i += 64)
            {
                acc0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(x + i)), Avx512BW.ConvertToVector512Int16(Vector256.Load(y + i)));
                acc1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(x + i + 32)), Avx512BW.ConvertToVector512Int16(Vector256.Load(y + i + 32)));
            }

            for (; i + 32 <= length; i += 32)
            {
                acc0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.ConvertToVector512Int16(Vector256.Load(x + i)), Avx512BW.ConvertToVector512Int16(Vector256.Load(y + i)));
            }

            sum = Vector512.Sum(acc0 + acc1);
        }
        else if (Avx2.IsSupported && length >= 16)
        {
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            for (; i + 32 <= length; i += 32)
            {
                acc0 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(x + i)), Avx2.ConvertToVector256Int16(Vector128.Load(y + i)));
                acc1 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(x + i + 16)), Avx2.ConvertToVector256Int16(Vector128.Load(y + i + 16)));
            }

            for (; i + 16 <= length; i += 16)
            {
                acc0 += Avx2.MultiplyAddAdjacent(Avx2.ConvertToVector256Int16(Vector128.Load(x + i)), Avx2.ConvertToVector256Int16(Vector128.Load(y + i)));
            }

            sum = Vector256.Sum(acc0 + acc1);
        }

        for (; i < length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary>The plain int8 loop: the reference of the tests.</summary>
    internal static unsafe int DotInt8Scalar(sbyte* x, sbyte* y, int length)
    {
        var sum = 0;
        for (var i = 0; i < length; i++)
        {
            sum += x[i] * y[i];
        }

        return sum;
    }

    /// <summary>Hamming distance of two bit vectors of <paramref name="words"/> 64-bit words.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe int Hamming(ulong* x, ulong* y, int words)
    {
        var sum = 0;
        var i = 0;

        // Four independent counts: popcnt has a 3-cycle latency and one chain would serialise on it.
        int s1 = 0, s2 = 0, s3 = 0;
        for (; i + 4 <= words; i += 4)
        {
            sum += BitOperations.PopCount(x[i] ^ y[i]);
            s1 += BitOperations.PopCount(x[i + 1] ^ y[i + 1]);
            s2 += BitOperations.PopCount(x[i + 2] ^ y[i + 2]);
            s3 += BitOperations.PopCount(x[i + 3] ^ y[i + 3]);
        }

        for (; i < words; i++)
        {
            sum += BitOperations.PopCount(x[i] ^ y[i]);
        }

        return sum + s1 + s2 + s3;
    }

    /// <summary>
    /// Validates <paramref name="source"/> and writes its L2-normalised copy to <paramref name="destination"/>
    /// (the two may be the same span). Returns a status instead of throwing so the lookup path stays exception-free.
    /// </summary>
    public static VectorStatus TryNormalize(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.IsEmpty)
        {
            return VectorStatus.Empty;
        }

        if (destination.Length < source.Length)
        {
            return VectorStatus.DestinationTooShort;
        }

        double sumOfSquares = TensorPrimitives.SumOfSquares(source);
        if (!double.IsFinite(sumOfSquares) || sumOfSquares < 1e-30)
        {
            // NaN/Inf, or a float overflow/underflow of an otherwise valid vector: decide exactly in double.
            sumOfSquares = 0;
            foreach (var value in source)
            {
                if (!float.IsFinite(value))
                {
                    return VectorStatus.NonFinite;
                }

                sumOfSquares += (double)value * value;
            }
        }

        var norm = Math.Sqrt(sumOfSquares);
        if (!(norm > 0) || !double.IsFinite(1.0 / norm))
        {
            return VectorStatus.ZeroNorm;
        }

        var target = destination[..source.Length];
        if (norm is > 1e-18 and < 1e18)
        {
            TensorPrimitives.Multiply(source, (float)(1.0 / norm), target);
        }
        else
        {
            for (var i = 0; i < source.Length; i++)
            {
                target[i] = (float)(source[i] / norm);
            }
        }

        return VectorStatus.Ok;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowLengthMismatch() =>
        throw new ArgumentException("The two vectors must have the same length.", "y");
}
