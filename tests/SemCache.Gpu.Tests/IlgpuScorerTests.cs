using SemCache.Vectors;

namespace SemCache.Gpu.Tests;

public sealed class IlgpuScorerTests
{
    // Odd sizes: 199 dimensions (a stride of 208 with zero padding, not a multiple of the 16 x 4 tile),
    // 2,131 rows (two segments and a partial tile), 19 queries (a partial query tile), k = 11.
    private const int Dims = 199;
    private const int Rows = 2131;
    private const int Queries = 19;
    private const int K = 11;

    // Scores are sums of 199 products in another order than the CPU kernel's: 1e-5 is the issue's
    // bound and about 80 float32 ulps at 1.0, far above the rounding such a sum can accumulate.
    private const float Tolerance = 1e-5f;

    private static IGpuBatchScorer CpuAccelerator(long maxDeviceBytes = 64L << 20, long scratchBytes = 1L << 20) =>
        (IGpuBatchScorer)GpuBatchScorers.Open(new GpuScorerOptions
        {
            Accelerator = GpuAcceleratorKind.IlgpuCpu,
            MinRows = 0,
            MaxDeviceBytes = maxDeviceBytes,
            ScratchBytes = scratchBytes,
        });

    private static (ScoredRow[] Rows, int[] Counts) Score(IBatchSimilarityScorer scorer, VectorMatrix matrix, float[] queries, int k = K)
    {
        var count = queries.Length / matrix.Dimensions;
        var rows = new ScoredRow[count * k];
        var counts = new int[count];
        scorer.Score(matrix, queries, count, rows, counts);
        return (rows, counts);
    }

    private static void AssertSame((ScoredRow[] Rows, int[] Counts) expected, (ScoredRow[] Rows, int[] Counts) actual, int k = K)
    {
        Assert.Equal(expected.Counts, actual.Counts);
        for (var q = 0; q < expected.Counts.Length; q++)
        {
            for (var r = 0; r < expected.Counts[q]; r++)
            {
                var e = expected.Rows[(q * k) + r];
                var a = actual.Rows[(q * k) + r];
                Assert.True(e.Row == a.Row, $"query {q}, rank {r}: row {a.Row} instead of {e.Row}");
                Assert.InRange(a.Similarity, e.Similarity - Tolerance, e.Similarity + Tolerance);
            }
        }
    }

    [Fact]
    public void The_cpu_accelerator_returns_the_engine_cpu_top_k_on_odd_sizes()
    {
        using var matrix = VectorMatrix.FromRows(TestVectors.Clustered(Rows, Dims, seed: 1), Dims);
        for (var r = 3; r < Rows; r += 17) { matrix.Retire(r); }
        var queries = TestVectors.Clustered(Queries, Dims, seed: 2);
        using var gpu = CpuAccelerator();

        AssertSame(Score(BatchSimilarityScorers.Cpu, matrix, queries), Score(gpu, matrix, queries));
        Assert.Equal("ilgpu-cpu", gpu.Accelerator);
        Assert.Equal(1, gpu.GetStats().DeviceCalls);
    }

    [Fact]
    public void Half_precision_copies_take_half_the_rows_memory_and_return_the_float32_top_k_after_rescoring()
    {
        using var matrix = VectorMatrix.FromRows(TestVectors.Clustered(1500, Dims, seed: 16), Dims);
        var queries = TestVectors.Clustered(9, Dims, seed: 17);
        using var full = CpuAccelerator();
        using var half = (IGpuBatchScorer)GpuBatchScorers.Open(new GpuScorerOptions
        {
            Accelerator = GpuAcceleratorKind.IlgpuCpu,
            Encoding = GpuVectorEncoding.HalfPrecision,
            MinRows = 0,
            MaxDeviceBytes = 64L << 20,
            ScratchBytes = 1L << 20,
        });

        var expected = Score(BatchSimilarityScorers.Cpu, matrix, queries);
        var fromHalf = Score(half, matrix, queries);
        AssertSame(expected, Score(full, matrix, queries));
        AssertSame(expected, fromHalf);

        // Re-scored on the host with the engine's kernel: the very same numbers, not just close ones.
        Assert.Equal(expected.Rows, fromHalf.Rows);
        Assert.True(half.GetStats().DeviceBytes < full.GetStats().DeviceBytes);
    }

    [Fact]
    public void Equal_similarities_keep_the_lower_row_first_as_the_cpu_scan_does()
    {
        // Every row repeated three times: ties everywhere, across segments and blocks.
        var distinct = TestVectors.Clustered(701, 24, seed: 3);
        var rows = new float[distinct.Length * 3];
        for (var copy = 0; copy < 3; copy++) { distinct.CopyTo(rows, copy * distinct.Length); }
        using var matrix = VectorMatrix.FromRows(rows, 24);
        var queries = TestVectors.Clustered(9, 24, seed: 4);
        using var gpu = CpuAccelerator(scratchBytes: 1L << 16);

        AssertSame(Score(BatchSimilarityScorers.Cpu, matrix, queries), Score(gpu, matrix, queries));
    }

    [Fact]
    public void A_resident_matrix_uploads_only_the_rows_appended_since_and_sees_new_retirements()
    {
        using var matrix = VectorMatrix.FromRows(TestVectors.Clustered(1500, 40, seed: 5), 40);
        var queries = TestVectors.Clustered(5, 40, seed: 6);
        using var gpu = CpuAccelerator();
        Score(gpu, matrix, queries);
        Assert.Equal(1500, gpu.GetStats().RowsUploaded);

        var more = TestVectors.Clustered(21, 40, seed: 7);
        for (var i = 0; i < 21; i++) { matrix.Append(more.AsSpan(i * 40, 40)); }
        var firstBest = Score(BatchSimilarityScorers.Cpu, matrix, queries).Rows[0].Row;
        matrix.Retire(firstBest);

        AssertSame(Score(BatchSimilarityScorers.Cpu, matrix, queries), Score(gpu, matrix, queries));
        var stats = gpu.GetStats();
        Assert.Equal(1521, stats.RowsUploaded);
        Assert.Equal(1, stats.ResidentMatrices);
    }

    [Fact]
    public void Device_memory_stays_under_its_bound_by_dropping_the_least_recently_used_copy()
    {
        // Each matrix needs 2,000 x 48 x 4 bytes and more with headroom; the bound holds one.
        using var a = VectorMatrix.FromRows(TestVectors.Clustered(2000, 48, seed: 8), 48);
        using var b = VectorMatrix.FromRows(TestVectors.Clustered(2000, 48, seed: 9), 48);
        var queries = TestVectors.Clustered(3, 48, seed: 10);
        const long scratch = 1L << 16;
        const long bound = (scratch * 3 / 2) + 600_000;
        using var gpu = CpuAccelerator(maxDeviceBytes: bound, scratchBytes: scratch);

        AssertSame(Score(BatchSimilarityScorers.Cpu, a, queries), Score(gpu, a, queries));
        AssertSame(Score(BatchSimilarityScorers.Cpu, b, queries), Score(gpu, b, queries));

        var stats = gpu.GetStats();
        Assert.Equal(1, stats.ResidentMatrices);
        Assert.Equal(1, stats.Evictions);
        Assert.InRange(stats.DeviceBytes, 1, bound);
        Assert.Equal(stats.DeviceBytes, gpu.DeviceBytes);
    }

    [Fact]
    public void A_matrix_too_large_for_the_bound_below_the_minimum_or_asked_for_too_many_results_is_scored_on_the_cpu_alike()
    {
        using var matrix = VectorMatrix.FromRows(TestVectors.Clustered(3000, 32, seed: 11), 32);
        var queries = TestVectors.Clustered(4, 32, seed: 12);
        var expected = Score(BatchSimilarityScorers.Cpu, matrix, queries);
        using var tiny = CpuAccelerator(maxDeviceBytes: 200_000, scratchBytes: 1L << 16);
        using var small = (IGpuBatchScorer)GpuBatchScorers.Open(new GpuScorerOptions { Accelerator = GpuAcceleratorKind.IlgpuCpu, MinRows = 5000 });

        AssertSame(expected, Score(tiny, matrix, queries));
        AssertSame(expected, Score(small, matrix, queries));

        Assert.Equal((1, 0, 0), (tiny.GetStats().CpuFallbacks, tiny.GetStats().DeviceCalls, tiny.GetStats().ResidentMatrices));
        Assert.Equal((1, 0), (small.GetStats().CpuFallbacks, small.GetStats().DeviceCalls));

        // More results per query than the device path selects (256) also go to the CPU.
        using var wide = CpuAccelerator();
        AssertSame(Score(BatchSimilarityScorers.Cpu, matrix, queries, k: 300), Score(wide, matrix, queries, k: 300), k: 300);
        Assert.Equal((1, 0), (wide.GetStats().CpuFallbacks, wide.GetStats().DeviceCalls));
    }

    [Fact]
    public void Invalid_options_and_arguments_are_refused_with_their_names()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GpuBatchScorers.Open(new GpuScorerOptions { ScratchBytes = 10 }));
        Assert.Equal("ScratchBytes", e.ParamName);
        using var matrix = VectorMatrix.FromRows(TestVectors.Clustered(10, 8, seed: 13), 8);
        using var gpu = CpuAccelerator();
        Assert.Throws<ArgumentException>(() => gpu.Score(matrix, new float[7], 1, new ScoredRow[2], new int[1]));
    }

    [CudaFact]
    public void On_cuda_the_kernels_return_the_engine_cpu_top_k_on_odd_sizes()
    {
        using var matrix = VectorMatrix.FromRows(TestVectors.Clustered(Rows * 7, Dims, seed: 14), Dims);
        for (var r = 5; r < matrix.RowCount; r += 13) { matrix.Retire(r); }
        var queries = TestVectors.Clustered(Queries * 3, Dims, seed: 15);
        using var gpu = (IGpuBatchScorer)GpuBatchScorers.Open(new GpuScorerOptions { Accelerator = GpuAcceleratorKind.Cuda, MinRows = 0 });

        AssertSame(Score(BatchSimilarityScorers.Cpu, matrix, queries), Score(gpu, matrix, queries));
        Assert.StartsWith("ilgpu-cuda:", gpu.Accelerator, StringComparison.Ordinal);
    }
}
