using SemCache.Vectors;

namespace SemCache.Tests.Vectors;

public sealed class BatchScorerTests
{
    // 6*64+7 dimensions and 1,000+13 rows: SIMD tails in the kernel and a stride padded with zeros.
    private const int Dims = 391;
    private const int Rows = 1013;

    [Fact]
    public void The_cpu_scorer_returns_what_the_flat_index_search_returns_for_each_query()
    {
        var data = VectorTestData.Clustered(Rows, Dims, clusters: 17, seed: 7);
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 4096 });
        for (var i = 0; i < Rows; i++) { index.Add(i, VectorTestData.Row(data, Dims, i)); }
        for (var i = 0; i < Rows; i += 5) { index.Remove(i); }

        const int queries = 37;
        const int k = 11;
        var q = VectorTestData.Clustered(queries, Dims, clusters: 17, seed: 8);
        var results = new ScoredRow[queries * k];
        var counts = new int[queries];
        using var matrix = new VectorMatrix(index.Graph, owned: false);
        BatchSimilarityScorers.Cpu.Score(matrix, q, queries, results, counts);

        var expected = new VectorHit[k];
        for (var j = 0; j < queries; j++)
        {
            var n = index.Search(VectorTestData.Row(q, Dims, j), expected);
            Assert.Equal(n, counts[j]);
            for (var r = 0; r < n; r++)
            {
                Assert.Equal(expected[r].Key, matrix.Graph.KeyOf((uint)results[(j * k) + r].Row));
                Assert.Equal(expected[r].Similarity, results[(j * k) + r].Similarity);
            }
        }
    }

    [Fact]
    public void A_matrix_with_fewer_live_rows_than_k_fills_only_what_it_has_and_never_a_retired_row()
    {
        var data = VectorTestData.Uniform(5, Dims, seed: 3);
        using var matrix = VectorMatrix.FromRows(data, Dims);
        matrix.Retire(2);
        var results = new ScoredRow[2 * 8];
        var counts = new int[2];

        BatchSimilarityScorers.Cpu.Score(matrix, data.AsSpan(0, 2 * Dims), 2, results, counts);

        Assert.Equal([4, 4], counts);
        Assert.Equal(0, results[0].Row);
        Assert.Equal(1, results[8].Row);
        Assert.DoesNotContain(results.Where((_, i) => i % 8 < 4), r => r.Row == 2);
    }

    [Fact]
    public void Mismatched_spans_are_refused_with_the_argument_named()
    {
        using var matrix = VectorMatrix.FromRows(VectorTestData.Uniform(3, Dims, seed: 1), Dims);
        var e = Assert.Throws<ArgumentException>(() => BatchSimilarityScorers.Cpu.Score(matrix, new float[Dims + 1], 1, new ScoredRow[4], new int[1]));
        Assert.Equal("queries", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => BatchSimilarityScorers.Cpu.Score(matrix, new float[2 * Dims], 2, new ScoredRow[3], new int[2]));
        Assert.Equal("results", e.ParamName);
        Assert.Throws<ArgumentException>(() => VectorMatrix.FromRows([float.NaN, 0f, 0f], 3));
    }
}
