namespace SemCache.Vectors.Quantization;

/// <summary>
/// Sign-bit quantisation: bit i of a code is set when <c>x[i] &gt; mean[i]</c>. Centring on the partition's mean
/// (calibrated like <see cref="Int8Quantizer"/>) matters for sentence embeddings, whose dimensions have large common
/// offsets: without it many bits are the same in every vector and carry no information.
/// </summary>
/// <remarks>
/// The Hamming distance h of two codes estimates the angle between the centred vectors (≈ π h / dims); candidates are
/// ordered by the cheap monotone score <c>1 - 2h / dims</c>, and float32 re-rank makes the final order and values exact.
/// </remarks>
internal sealed unsafe class BinaryQuantizer
{
    private readonly float[] _mean;

    private BinaryQuantizer(float[] mean)
    {
        _mean = mean;
    }

    public int Dimensions => _mean.Length;

    /// <summary>64-bit words per code.</summary>
    public int Words => WordsFor(Dimensions);

    /// <summary>64-bit words per code at <paramref name="dimensions"/>.</summary>
    public static int WordsFor(int dimensions) => (dimensions + 63) / 64;

    public static BinaryQuantizer Calibrate(float* rows, int count, int dims, int stride)
    {
        var sum = new double[dims];
        for (var r = 0; r < count; r++)
        {
            var row = rows + ((nint)r * stride);
            for (var i = 0; i < dims; i++)
            {
                sum[i] += row[i];
            }
        }

        var mean = new float[dims];
        for (var i = 0; i < dims; i++)
        {
            mean[i] = count > 0 ? (float)(sum[i] / count) : 0f;
        }

        return new BinaryQuantizer(mean);
    }

    /// <summary>Writes the code of a vector (queries and rows alike; unused high bits zero).</summary>
    public void Encode(float* vector, ulong* code)
    {
        var dims = Dimensions;
        for (var w = 0; w < Words; w++)
        {
            ulong bits = 0;
            var end = Math.Min(64, dims - (w * 64));
            for (var b = 0; b < end; b++)
            {
                var i = (w * 64) + b;
                if (vector[i] > _mean[i])
                {
                    bits |= 1UL << b;
                }
            }

            code[w] = bits;
        }
    }

    /// <summary>The ordering score of a Hamming distance: 1 for equal codes, -1 for opposite ones.</summary>
    public float Similarity(int hamming) => 1f - (2f * hamming / Dimensions);
}
