using SemCache.Vectors;
using Xunit.Abstractions;

namespace SemCache.Tests.Vectors;

/// <summary>
/// Int8 and binary encodings: the graph is traversed on codes and the found set re-ranked with float32, so recall stays
/// near float32's and every similarity returned is the exact dot product. 3,000 clustered 384-d vectors, fixed seeds.
/// </summary>
public sealed class QuantizedIndexTests(ITestOutputHelper output)
{
    private const int Dims = 384;
    private const int Count = 3000;
    private const int Queries = 100;
    private const int K = 10;
    private const int Ef = 16;

    private static readonly float[] All = VectorTestData.Clustered(Count + Queries, Dims, clusters: 500, seed: 11);
    private static readonly float[] Data = All[..(Count * Dims)];
    private static readonly float[] QueryData = All[(Count * Dims)..];
    private static readonly long[][] Truth = [.. Enumerable.Range(0, Queries).Select(q => VectorTestData.BruteForce(Data, Dims, VectorTestData.Row(QueryData, Dims, q), K))];

    [Theory]
    [InlineData(VectorEncoding.Int8, 0.99)]
    [InlineData(VectorEncoding.Binary, 0.88)]
    public void Quantised_search_with_re_rank_keeps_recall_close_to_float32_and_returns_exact_similarities(VectorEncoding encoding, double keep)
    {
        // Int8: the ratio (>= 0.99 of float32's recall at equal ef); measured 1.00 here (0.828 both), while a
        // traversal without re-rank or with a broken quantiser falls far below. Binary: these synthetic clusters (500
        // clusters, neighbours near cosine 0.5) are harder for 384 sign bits than sentence embeddings, where the
        // issue's 0.95 is measured (benchmarks/README.md); here 0.906 with 4x oversampling and 0.785 without, so 0.88
        // fails if the oversampling or the re-rank is lost.
        using var exact = Build(VectorEncoding.Float32, forceManaged: false);
        using var quantised = Build(encoding, forceManaged: false);
        var baseline = Recall(exact);
        var recall = Recall(quantised);
        output.WriteLine($"{encoding} ({quantised.KernelFamily}): recall@10 {recall:F4} vs float32 {baseline:F4} at ef={Ef}; {quantised.MemoryBytes / Count} vs {exact.MemoryBytes / Count} bytes/vector in memory");

        // Float32 moved to the mapped file: process memory per vector drops by its 1,536 bytes, less the codes.
        Assert.Equal((long)Count * Dims * sizeof(float), quantised.Float32FileBytes, tolerance: 64L * Dims * sizeof(float) * 4);
        Assert.True(quantised.MemoryBytes < exact.MemoryBytes - (Count * 1000L), $"{quantised.MemoryBytes} vs {exact.MemoryBytes}");
        Assert.True(recall >= keep * baseline, $"{encoding} recall {recall:F4} < {keep} x {baseline:F4}");

        var hits = new VectorHit[K];
        for (var q = 0; q < 20; q++)
        {
            var query = VectorTestData.Row(QueryData, Dims, q);
            var n = quantised.Search(query, hits, Ef);
            Assert.Equal(K, n);
            for (var i = 0; i < n; i++)
            {
                var expected = VectorTestData.Dot(VectorTestData.Row(Data, Dims, (int)hits[i].Key), query);
                Assert.InRange(hits[i].Similarity, expected - 1e-5, expected + 1e-5);
                Assert.True(i == 0 || hits[i - 1].Similarity >= hits[i].Similarity, "results are best first");
            }
        }
    }

    [NativeKernelsTheory]
    [InlineData(VectorEncoding.Int8)]
    [InlineData(VectorEncoding.Binary)]
    public void Native_and_managed_kernels_find_the_same_neighbours_on_the_same_codes(VectorEncoding encoding)
    {
        // One graph built sequentially (deterministic), searched once per kernel family: the codes' scores are exact
        // integers in both, so traversal and re-rank pick the same nodes.
        using var native = Build(encoding, forceManaged: false, threads: 1);
        using var managed = Build(encoding, forceManaged: true, threads: 1);
        Assert.Equal("native", native.KernelFamily);
        Assert.Equal("managed", managed.KernelFamily);
        var a = new VectorHit[K];
        var b = new VectorHit[K];
        for (var q = 0; q < Queries; q++)
        {
            var query = VectorTestData.Row(QueryData, Dims, q);
            var n = native.Search(query, a, Ef);
            var m = managed.Search(query, b, Ef);
            Assert.Equal(m, n);
            Assert.Equal(b[..m].Select(h => h.Key).Order(), a[..n].Select(h => h.Key).Order());
        }
    }

    [Fact]
    public void A_quantised_partition_grown_one_vector_at_a_time_recalibrates_and_keeps_its_recall()
    {
        // Calibrated first on a handful of vectors, then again each time the partition doubles: without the
        // recalibration the codes of later vectors would be clamped to the first few vectors' ranges.
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0, EfConstruction = 100, Encoding = VectorEncoding.Int8 });
        for (var i = 0; i < Count; i++)
        {
            index.Add(i, VectorTestData.Row(Data, Dims, i));
        }

        // Recalibration runs in the background (never on a writer's thread); once it is done the codes were calibrated
        // on at least half of the partition (it recalibrates each time the node count doubles).
        index.WaitForMaintenance();
        Assert.InRange(index.CalibratedCount, (Count / 2) + 1, Count);
        using var exact = Build(VectorEncoding.Float32, forceManaged: false);
        var recall = Recall(index);
        var baseline = Recall(exact);
        output.WriteLine($"int8 grown one by one: recall@10 {recall:F4} (calibrated on {index.CalibratedCount}); float32 built at once: {baseline:F4}");
        Assert.True(recall >= 0.97 * baseline, $"recall {recall:F4} vs {baseline:F4}");
    }

    [Theory]
    [InlineData(VectorEncoding.Int8)]
    [InlineData(VectorEncoding.Binary)]
    public void Writes_never_wait_for_a_calibration_and_searches_stay_exact_until_the_codes_are_published(VectorEncoding encoding)
    {
        using var hold = new ManualResetEventSlim(false);
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0, EfConstruction = 100, Encoding = encoding });
        index.HoldMaintenanceForTests = hold;
        for (var i = 0; i < 300; i++)
        {
            // Every add returns although the calibration it made due is held: calibration is not on the write path.
            index.Add(i, VectorTestData.Row(Data, Dims, i));
        }

        Assert.True(index.IsMaintaining);
        Assert.Equal(0, index.CalibratedCount);
        var hits = new VectorHit[K];
        var query = VectorTestData.Row(QueryData, Dims, 0);
        var n = index.Search(query, hits, Ef);
        Assert.Equal(K, n);
        for (var i = 0; i < n; i++)
        {
            // Without codes the graph is searched on float32: the similarities are the exact dot products.
            var expected = VectorTestData.Dot(VectorTestData.Row(Data, Dims, (int)hits[i].Key), query);
            Assert.InRange(hits[i].Similarity, expected - 1e-5, expected + 1e-5);
        }

        hold.Set();
        index.WaitForMaintenance();
        Assert.Equal(300, index.CalibratedCount);
    }

    [Theory]
    [InlineData(VectorEncoding.Int8, false)]
    [InlineData(VectorEncoding.Binary, false)]
    [InlineData(VectorEncoding.Int8, true)]
    [InlineData(VectorEncoding.Binary, true)]
    public void Replaced_code_arenas_are_freed_so_only_the_current_vectors_and_codes_stay_allocated(VectorEncoding encoding, bool mapped)
    {
        // Grown one vector at a time: the codes are grown with the arena and recalibrated at every doubling, each time
        // into a new native block; every replaced one must be freed (by reference count, no finalizer involved). With
        // a float32 directory the first calibration also moves the vectors to a mapped file: the in-memory arena it
        // replaces must be freed too.
        using var index = new PartitionIndex(new VectorIndexOptions
        {
            Dimensions = Dims,
            FlatSearchLimit = 0,
            EfConstruction = 40,
            Encoding = encoding,
            Float32Directory = mapped ? Path.GetTempPath() : null,
        });
        for (var i = 0; i < 1000; i++)
        {
            index.Add(i, VectorTestData.Row(Data, Dims, i));
        }

        index.WaitForMaintenance();
        Assert.True(index.CalibratedCount > 500, $"calibrated on {index.CalibratedCount}");
        Assert.Equal(mapped, index.Float32FileBytes > 0);
        Assert.True(index.FreedArenas > 0);
        Assert.Equal(2, index.LiveArenas);
        index.Dispose();
        Assert.Equal(0, index.LiveArenas);
    }

    [Fact]
    public void A_quantised_partition_restored_from_a_snapshot_answers_as_before()
    {
        using var index = Build(VectorEncoding.Int8, forceManaged: false, threads: 1);
        using var stream = new MemoryStream();
        Assert.True(index.WriteSnapshot(stream));
        stream.Position = 0;
        using var restored = PartitionIndex.ReadSnapshot(stream, index.Options);
        var a = new VectorHit[K];
        var b = new VectorHit[K];
        for (var q = 0; q < 20; q++)
        {
            var query = VectorTestData.Row(QueryData, Dims, q);
            Assert.Equal(index.Search(query, a, Ef), restored.Search(query, b, Ef));
            Assert.Equal(a, b);
        }
    }

    [Theory]
    [InlineData(VectorEncoding.Int8)]
    [InlineData(VectorEncoding.Binary)]
    public void A_small_flat_partition_scans_float32_exactly_whatever_the_encoding(VectorEncoding encoding)
    {
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 500, Encoding = encoding });
        index.AddRange([.. Enumerable.Range(0, 400).Select(i => (long)i)], Data.AsSpan(0, 400 * Dims), threads: 1);
        Assert.False(index.IsGraph);
        var hits = new VectorHit[K];
        var query = VectorTestData.Row(QueryData, Dims, 0);
        var n = index.Search(query, hits);
        Assert.Equal(VectorTestData.BruteForce(Data.AsSpan(0, 400 * Dims).ToArray(), Dims, query, K), hits[..n].Select(h => h.Key).ToArray());
    }

    private static PartitionIndex Build(VectorEncoding encoding, bool forceManaged, int threads = 1)
    {
        var index = new PartitionIndex(new VectorIndexOptions
        {
            Dimensions = Dims,
            FlatSearchLimit = 0,
            EfConstruction = 100,
            Encoding = encoding,
            ForceManagedKernels = forceManaged,
            Float32Directory = encoding == VectorEncoding.Float32 ? null : Path.GetTempPath(),
        });
        index.AddRange([.. Enumerable.Range(0, Count).Select(i => (long)i)], Data, threads);

        // The codes are calibrated by background maintenance: wait for it so that the quantised path is what runs.
        index.WaitForMaintenance();
        Assert.Equal(encoding == VectorEncoding.Float32 ? 0 : Count, index.CalibratedCount);
        return index;
    }

    private static double Recall(PartitionIndex index)
    {
        var hits = new VectorHit[K];
        var found = 0;
        for (var q = 0; q < Queries; q++)
        {
            var n = index.Search(VectorTestData.Row(QueryData, Dims, q), hits, Ef);
            found += hits[..n].Count(h => Truth[q].Contains(h.Key));
        }

        return found / (double)(Queries * K);
    }
}
