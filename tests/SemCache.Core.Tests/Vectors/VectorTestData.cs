using SemCache.Vectors;

namespace SemCache.Tests.Vectors;

/// <summary>Fixed-seed synthetic embeddings and exact answers for the index tests.</summary>
internal static class VectorTestData
{
    /// <summary>
    /// Unit vectors around <paramref name="clusters"/> random unit centres: centre plus gaussian noise of about the
    /// centre's norm, then normalised, so neighbours within a cluster sit near cosine 0.5 (like sentence embeddings
    /// on one topic) rather than being trivially separable.
    /// </summary>
    public static float[] Clustered(int count, int dims, int clusters, int seed)
    {
        var random = new Random(seed);
        var centres = new float[clusters * dims];
        for (var c = 0; c < clusters; c++)
        {
            var centre = centres.AsSpan(c * dims, dims);
            FillGaussian(random, centre, 1f);
            Normalize(centre);
        }

        var noise = 1f / MathF.Sqrt(dims);
        var data = new float[count * dims];
        for (var i = 0; i < count; i++)
        {
            var v = data.AsSpan(i * dims, dims);
            FillGaussian(random, v, noise);
            var centre = centres.AsSpan(random.Next(clusters) * dims, dims);
            for (var d = 0; d < dims; d++)
            {
                v[d] += centre[d];
            }

            Normalize(v);
        }

        return data;
    }

    public static float[] Uniform(int count, int dims, int seed) => Clustered(count, dims, count, seed);

    public static ReadOnlySpan<float> Row(float[] data, int dims, int i) => data.AsSpan(i * dims, dims);

    /// <summary>Exact top-k keys (row indices) by dot product, best first.</summary>
    public static long[] BruteForce(float[] data, int dims, ReadOnlySpan<float> query, int k, Func<long, bool>? live = null)
    {
        var count = data.Length / dims;
        var best = new List<(double Similarity, long Key)>(count);
        for (var i = 0; i < count; i++)
        {
            if (live is null || live(i))
            {
                best.Add((Dot(Row(data, dims, i), query), (long)i));
            }
        }

        return [.. best.OrderByDescending(p => p.Similarity).ThenBy(p => p.Key).Take(k).Select(p => p.Key)];
    }

    /// <summary>Plain double-precision dot product: the reference every kernel is compared with.</summary>
    public static double Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++)
        {
            sum += (double)x[i] * y[i];
        }

        return sum;
    }

    private static void FillGaussian(Random random, Span<float> target, float sigma)
    {
        for (var i = 0; i < target.Length; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            target[i] = (float)(sigma * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }

    private static void Normalize(Span<float> v)
    {
        var status = VectorKernels.TryNormalize(v, v);
        if (status != VectorStatus.Ok)
        {
            throw new InvalidOperationException($"Test data could not be normalised: {status}.");
        }
    }
}
