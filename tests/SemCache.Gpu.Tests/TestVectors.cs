namespace SemCache.Gpu.Tests;

/// <summary>Fixed-seed unit vectors around a few centres (like sentence embeddings on a few topics).</summary>
internal static class TestVectors
{
    public static float[] Clustered(int count, int dims, int seed, int clusters = 7)
    {
        var random = new Random(seed);
        var centres = new float[clusters * dims];
        for (var i = 0; i < centres.Length; i++) { centres[i] = Gaussian(random); }
        var data = new float[count * dims];
        for (var i = 0; i < count; i++)
        {
            var c = random.Next(clusters);
            var v = data.AsSpan(i * dims, dims);
            for (var d = 0; d < dims; d++) { v[d] = centres[(c * dims) + d] + (0.8f * Gaussian(random)); }
            Normalize(v);
        }

        return data;
    }

    private static float Gaussian(Random random) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

    private static void Normalize(Span<float> v)
    {
        var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(v));
        for (var i = 0; i < v.Length; i++) { v[i] /= norm; }
    }
}

/// <summary>A fact that needs a CUDA device: skipped, saying so, on machines without one.</summary>
internal sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!GpuBatchScorers.HasCuda(out var reason))
        {
            Skip = $"No CUDA device on this machine ({reason}); the ILGPU CPU-accelerator tests cover the same kernels.";
        }
    }
}
