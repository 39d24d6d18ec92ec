using System.Runtime.Intrinsics;

namespace SemCache.Vectors.Quantization;

/// <summary>
/// Scalar quantisation to int8, calibrated per dimension from a partition's vectors: <c>x[i] ≈ mean[i] + scale[i] * code[i]</c>
/// with codes in [-127, 127] (values beyond the calibrated range are clamped).
/// </summary>
/// <remarks>
/// Why the query is transformed rather than quantised like the rows: with <c>u[i] = q[i] * scale[i]</c> quantised by
/// its own scale <c>t</c> to <c>d[i]</c>, <c>q·x ≈ q·mean + t * Σ d[i] * code[i]</c>, so one exact int8 dot product
/// (VNNI <c>vpdpbusd</c>) per row ranks rows by an estimate of the true similarity even though every dimension has its
/// own scale. The per-query terms <c>q·mean</c> and <c>t</c> turn the int32 result back into a cosine estimate.
/// </remarks>
internal sealed unsafe class Int8Quantizer
{
    private readonly float[] _mean;
    private readonly float[] _scale;
    private readonly float[] _inverse;

    private Int8Quantizer(float[] mean, float[] scale)
    {
        _mean = mean;
        _scale = scale;
        _inverse = new float[scale.Length];
        for (var i = 0; i < scale.Length; i++)
        {
            _inverse[i] = scale[i] > 0 ? 1f / scale[i] : 0f;
        }
    }

    public int Dimensions => _mean.Length;

    /// <summary>The calibrated scale per dimension (tests check query codes against it).</summary>
    internal ReadOnlySpan<float> Scale => _scale;

    /// <summary>Bytes per code: dimensions rounded up to 64, the width of one AVX-512 load.</summary>
    public int CodeBytes => CodeBytesFor(Dimensions);

    /// <summary>Bytes per code at <paramref name="dimensions"/> (also what an entry is charged for its code).</summary>
    public static int CodeBytesFor(int dimensions) => (dimensions + 63) & ~63;

    /// <summary>Learns mean and range per dimension from <paramref name="count"/> rows (every one read, in order).</summary>
    public static Int8Quantizer Calibrate(float* rows, int count, int dims, int stride)
    {
        var mean = new double[dims];
        for (var r = 0; r < count; r++)
        {
            var row = rows + ((nint)r * stride);
            for (var i = 0; i < dims; i++)
            {
                mean[i] += row[i];
            }
        }

        var m = new float[dims];
        for (var i = 0; i < dims; i++)
        {
            m[i] = count > 0 ? (float)(mean[i] / count) : 0f;
        }

        var range = new float[dims];
        for (var r = 0; r < count; r++)
        {
            var row = rows + ((nint)r * stride);
            for (var i = 0; i < dims; i++)
            {
                range[i] = Math.Max(range[i], Math.Abs(row[i] - m[i]));
            }
        }

        var scale = new float[dims];
        for (var i = 0; i < dims; i++)
        {
            // A dimension constant over the sample still needs a usable scale for later rows.
            scale[i] = (range[i] > 0 ? range[i] : 1e-3f) / 127f;
        }

        return new Int8Quantizer(m, scale);
    }

    /// <summary>Writes the code of one unit vector (padding bytes zero).</summary>
    public void Encode(float* vector, sbyte* code)
    {
        var dims = Dimensions;
        for (var i = 0; i < dims; i++)
        {
            code[i] = Clamp((vector[i] - _mean[i]) * _inverse[i]);
        }

        new Span<sbyte>(code + dims, CodeBytes - dims).Clear();
    }

    /// <summary>
    /// Prepares a query: writes its transformed code and returns the terms that map an int8 dot product with a row's
    /// code back to a similarity estimate (<c>offset + factor * dot</c>).
    /// </summary>
    /// <remarks>
    /// Runs once per query, beside a traversal that scores a few hundred codes; vectorised because the scalar form
    /// (two passes of rounding and clamping) was a measured 7 % of an int8 search at ef 10. Codes are identical to the
    /// scalar form's: the same products, rounding to nearest even, and clamp.
    /// </remarks>
    public void PrepareQuery(float* query, sbyte* code, out float factor, out float offset)
    {
        var dims = Dimensions;
        fixed (float* mean = _mean)
        fixed (float* scale = _scale)
        {
            var i = 0;
            var max = 0f;
            var dotMean = 0f;
            if (Vector256.IsHardwareAccelerated && dims >= Vector256<float>.Count)
            {
                var maxV = Vector256<float>.Zero;
                var dotV = Vector256<float>.Zero;
                for (; i <= dims - Vector256<float>.Count; i += Vector256<float>.Count)
                {
                    var q = Vector256.Load(query + i);
                    maxV = Vector256.Max(maxV, Vector256.Abs(q * Vector256.Load(scale + i)));
                    dotV += q * Vector256.Load(mean + i);
                }

                for (var lane = 0; lane < Vector256<float>.Count; lane++)
                {
                    max = Math.Max(max, maxV.GetElement(lane));
                }

                dotMean = Vector256.Sum(dotV);
            }

            for (; i < dims; i++)
            {
                max = Math.Max(max, Math.Abs(query[i] * scale[i]));
                dotMean += query[i] * mean[i];
            }

            var t = max > 0 ? max / 127f : 1f;
            var inv = 1f / t;
            i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var invV = Vector256.Create(inv);
                var low = Vector256.Create(-127f);
                var high = Vector256.Create(127f);
                const int Step = 4 * 8;
                for (; i <= dims - Step; i += Step)
                {
                    var a = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(Vector256.Load(query + i) * Vector256.Load(scale + i) * invV), low, high));
                    var b = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(Vector256.Load(query + i + 8) * Vector256.Load(scale + i + 8) * invV), low, high));
                    var c = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(Vector256.Load(query + i + 16) * Vector256.Load(scale + i + 16) * invV), low, high));
                    var d = Vector256.ConvertToInt32(Vector256.Clamp(Vector256.Round(Vector256.Load(query + i + 24) * Vector256.Load(scale + i + 24) * invV), low, high));

                    // Narrow keeps element order: int32 -> int16 -> int8, exact for values in [-127, 127].
                    Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, d)).Store(code + i);
                }
            }

            for (; i < dims; i++)
            {
                code[i] = Clamp(query[i] * scale[i] * inv);
            }

            new Span<sbyte>(code + dims, CodeBytes - dims).Clear();
            factor = t;
            offset = dotMean;
        }
    }

    private static sbyte Clamp(float value) => (sbyte)Math.Clamp(MathF.Round(value), -127f, 127f);
}
