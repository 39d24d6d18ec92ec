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

    /// <summary>Bytes per code: dimensions rounded up to 64, the width of one AVX-512 load.</summary>
    public int CodeBytes => (Dimensions + 63) & ~63;

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
    public void PrepareQuery(float* query, sbyte* code, out float factor, out float offset)
    {
        var dims = Dimensions;
        var max = 0f;
        var dotMean = 0f;
        for (var i = 0; i < dims; i++)
        {
            max = Math.Max(max, Math.Abs(query[i] * _scale[i]));
            dotMean += query[i] * _mean[i];
        }

        var t = max > 0 ? max / 127f : 1f;
        var inv = 1f / t;
        for (var i = 0; i < dims; i++)
        {
            code[i] = Clamp(query[i] * _scale[i] * inv);
        }

        new Span<sbyte>(code + dims, CodeBytes - dims).Clear();
        factor = t;
        offset = dotMean;
    }

    private static sbyte Clamp(float value) => (sbyte)Math.Clamp(MathF.Round(value), -127f, 127f);
}
