using SemCache.Vectors;

namespace SemCache.Benchmarks.Vectors;

/// <summary>Fixed-seed clustered unit vectors shared by the vector benchmarks.</summary>
internal static class VectorBenchmarkData
{
    public static float[] Clustered(int count, int dims, int clusters, int seed)
    {
        var random = new Random(seed);
        var centres = new float[clusters * dims];
        for (var i = 0; i < centres.Length; i++)
        {
            centres[i] = Gaussian(random);
        }

        var data = new float[count * dims];
        var noise = 1f / MathF.Sqrt(dims);
        for (var i = 0; i < count; i++)
        {
            var c = random.Next(clusters) * dims;
            var row = data.AsSpan(i * dims, dims);
            for (var d = 0; d < dims; d++)
            {
                row[d] = (centres[c + d] / MathF.Sqrt(dims)) + (noise * Gaussian(random));
            }

            VectorKernels.TryNormalize(row, row);
        }

        return data;
    }

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
