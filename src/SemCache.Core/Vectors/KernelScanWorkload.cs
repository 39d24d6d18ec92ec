using System.Runtime.InteropServices;
using SemCache.Vectors.Quantization;

namespace SemCache.Vectors;

/// <summary>
/// The kernel scan workload shared by <c>semcache bench-kernels</c> and the BenchmarkDotNet suite, so both measure the
/// same thing: one query scored against every row of a contiguous block of fixed-seed unit vectors, in each encoding
/// (float32 rows, int8 codes from a calibrated <see cref="Int8Quantizer"/>, sign-bit codes from a <see cref="BinaryQuantizer"/>).
/// </summary>
internal sealed unsafe class KernelScanWorkload : IDisposable
{
    private readonly float* _rows;
    private readonly sbyte* _int8;
    private readonly ulong* _binary;
    private readonly float* _query;
    private readonly sbyte* _int8Query;
    private readonly ulong* _binaryQuery;
    private readonly float* _floatScores;
    private readonly int* _intScores;

    public KernelScanWorkload(int count, int dims, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dims, 1);
        Count = count;
        Dimensions = dims;
        var random = new Random(seed);
        _rows = (float*)NativeMemory.AlignedAlloc((nuint)count * (nuint)dims * sizeof(float), 64);
        for (var i = 0; i < count; i++)
        {
            FillUnit(random, new Span<float>(_rows + ((nint)i * dims), dims));
        }

        _query = (float*)NativeMemory.AlignedAlloc((nuint)dims * sizeof(float), 64);
        FillUnit(random, new Span<float>(_query, dims));

        var int8 = Int8Quantizer.Calibrate(_rows, count, dims, dims);
        Int8Stride = int8.CodeBytes;
        _int8 = (sbyte*)NativeMemory.AlignedAlloc((nuint)count * (nuint)Int8Stride, 64);
        _int8Query = (sbyte*)NativeMemory.AlignedAlloc((nuint)Int8Stride, 64);
        for (var i = 0; i < count; i++)
        {
            int8.Encode(_rows + ((nint)i * dims), _int8 + ((nint)i * Int8Stride));
        }

        int8.PrepareQuery(_query, _int8Query, out _, out _);

        var binary = BinaryQuantizer.Calibrate(_rows, count, dims, dims);
        Words = binary.Words;
        _binary = (ulong*)NativeMemory.AlignedAlloc((nuint)count * (nuint)Words * sizeof(ulong), 64);
        _binaryQuery = (ulong*)NativeMemory.AlignedAlloc((nuint)Words * sizeof(ulong), 64);
        for (var i = 0; i < count; i++)
        {
            binary.Encode(_rows + ((nint)i * dims), _binary + ((nint)i * Words));
        }

        binary.Encode(_query, _binaryQuery);
        _floatScores = (float*)NativeMemory.AlignedAlloc((nuint)count * sizeof(float), 64);
        _intScores = (int*)NativeMemory.AlignedAlloc((nuint)count * sizeof(int), 64);
    }

    public int Count { get; }

    public int Dimensions { get; }

    public int Int8Stride { get; }

    public int Words { get; }

    /// <summary>Scores every float32 row; returns one score so the work cannot be elided.</summary>
    public float ScanFloat32(IVectorScorer scorer)
    {
        scorer.DotF32(_query, _rows, Count, Dimensions, Dimensions, _floatScores);
        return _floatScores[Count - 1];
    }

    /// <summary>Scores every int8 code.</summary>
    public int ScanInt8(IVectorScorer scorer)
    {
        scorer.DotI8(_int8Query, _int8, Count, Dimensions, Int8Stride, _intScores);
        return _intScores[Count - 1];
    }

    /// <summary>Hamming distance to every binary code.</summary>
    public int ScanBinary(IVectorScorer scorer)
    {
        scorer.Hamming(_binaryQuery, _binary, Count, Words, Words, _intScores);
        return _intScores[Count - 1];
    }

    public void Dispose()
    {
        NativeMemory.AlignedFree(_rows);
        NativeMemory.AlignedFree(_int8);
        NativeMemory.AlignedFree(_binary);
        NativeMemory.AlignedFree(_query);
        NativeMemory.AlignedFree(_int8Query);
        NativeMemory.AlignedFree(_binaryQuery);
        NativeMemory.AlignedFree(_floatScores);
        NativeMemory.AlignedFree(_intScores);
    }

    private static void FillUnit(Random random, Span<float> target)
    {
        var sum = 0.0;
        for (var i = 0; i < target.Length; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            target[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
            sum += (double)target[i] * target[i];
        }

        var inverse = (float)(1 / Math.Sqrt(sum));
        for (var i = 0; i < target.Length; i++)
        {
            target[i] *= inverse;
        }
    }
}
