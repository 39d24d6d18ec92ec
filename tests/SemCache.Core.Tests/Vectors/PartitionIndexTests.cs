using SemCache.Vectors;

namespace SemCache.Tests.Vectors;

public sealed class PartitionIndexTests
{
    private const int Dims = 48;

    private static PartitionIndex Build(float[] data, int flatLimit, int m = 8, int efConstruction = 64)
    {
        var index = new PartitionIndex(new VectorIndexOptions
        {
            Dimensions = Dims,
            FlatSearchLimit = flatLimit,
            M = m,
            EfConstruction = efConstruction,
            EfSearch = 64,
        });
        for (var i = 0; i < data.Length / Dims; i++)
        {
            index.Add(i, VectorTestData.Row(data, Dims, i));
        }

        // Promotion and rebuilds run in the background; these tests check the index they leave behind.
        index.WaitForMaintenance();
        return index;
    }

    private static VectorHit[] Search(PartitionIndex index, ReadOnlySpan<float> query, int k, int ef = 64)
    {
        var hits = new VectorHit[k];
        var n = index.Search(query, hits, ef);
        return hits[..n];
    }

    [Fact]
    public void Flat_search_returns_the_exact_top_k_best_first()
    {
        var data = VectorTestData.Clustered(500, Dims, 10, seed: 1);
        using var index = Build(data, flatLimit: 1000);
        Assert.False(index.IsGraph);
        var queries = VectorTestData.Clustered(20, Dims, 10, seed: 2);
        for (var q = 0; q < 20; q++)
        {
            var query = VectorTestData.Row(queries, Dims, q);
            var hits = Search(index, query, 10);
            Assert.Equal(VectorTestData.BruteForce(data, Dims, query, 10), hits.Select(h => h.Key));
            for (var i = 0; i < hits.Length; i++)
            {
                var expected = VectorTestData.Dot(VectorTestData.Row(data, Dims, (int)hits[i].Key), query);
                Assert.InRange(hits[i].Similarity, expected - 1e-5, expected + 1e-5);
            }
        }
    }

    [Fact]
    public void Growing_past_the_flat_limit_promotes_to_a_graph_that_still_finds_neighbours()
    {
        var data = VectorTestData.Clustered(1500, Dims, 30, seed: 3);
        using var index = Build(data, flatLimit: 300);
        Assert.True(index.IsGraph);
        Assert.Equal(1500, index.Count);
        var found = 0;
        for (var q = 0; q < 100; q++)
        {
            var query = VectorTestData.Row(data, Dims, q * 15);
            var truth = VectorTestData.BruteForce(data, Dims, query, 10);
            found += Search(index, query, 10, ef: 100).Count(h => truth.Contains(h.Key));
        }

        // Small, low-dimensional set at ef=100: anything under 0.95 means promotion lost nodes or links.
        Assert.InRange(found / 1000.0, 0.95, 1.0);
    }

    [Fact]
    public void An_index_that_stays_under_the_limit_stays_flat()
    {
        var data = VectorTestData.Clustered(100, Dims, 5, seed: 4);
        using var index = Build(data, flatLimit: 100);
        Assert.False(index.IsGraph);
        Assert.Equal(100, index.Count);
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(50)]
    public void Adding_an_existing_key_replaces_its_vector(int flatLimit)
    {
        var data = VectorTestData.Clustered(400, Dims, 8, seed: 5);
        using var index = Build(data, flatLimit);
        var replacement = VectorTestData.Uniform(1, Dims, seed: 6);
        var old = VectorTestData.Row(data, Dims, 17).ToArray();
        index.Add(17, replacement);

        Assert.Equal(400, index.Count);
        var top = Search(index, replacement, 1)[0];
        Assert.Equal(17, top.Key);
        Assert.InRange(top.Similarity, 0.999f, 1.001f);
        var nearOld = Search(index, old, 5);
        Assert.DoesNotContain(nearOld, h => h.Key == 17 && h.Similarity > 0.999f);
    }

    [Theory]
    [InlineData(10_000)]
    [InlineData(50)]
    public void Removed_keys_are_never_returned(int flatLimit)
    {
        var data = VectorTestData.Clustered(600, Dims, 8, seed: 8);
        using var index = Build(data, flatLimit);
        for (var i = 0; i < 600; i += 10)
        {
            Assert.True(index.Remove(i));
        }

        Assert.False(index.Remove(0));
        Assert.False(index.Remove(12345));
        Assert.Equal(540, index.Count);
        for (var i = 0; i < 600; i += 10)
        {
            var hits = Search(index, VectorTestData.Row(data, Dims, i), 10);
            Assert.Equal(10, hits.Length);
            Assert.All(hits, h => Assert.NotEqual(0, h.Key % 10));
        }
    }

    [Fact]
    public void Deleting_many_entries_rebuilds_and_keeps_the_rest_searchable()
    {
        var data = VectorTestData.Clustered(1000, Dims, 20, seed: 9);
        using var index = Build(data, flatLimit: 100);
        for (var i = 0; i < 1000; i++)
        {
            if (i % 3 != 0)
            {
                index.Remove(i);
            }
        }

        // 2/3 deleted against a 25 % rebuild fraction: the tombstones must have been compacted away along the way.
        index.WaitForMaintenance();
        Assert.True(index.TombstoneCount <= 0.25 * 1000);
        Assert.Equal(334, index.Count);
        for (var i = 0; i < 1000; i += 3)
        {
            var top = Search(index, VectorTestData.Row(data, Dims, i), 1)[0];
            Assert.Equal(i, top.Key);
        }
    }

    [Fact]
    public void Removing_everything_leaves_an_empty_index_that_accepts_new_vectors()
    {
        var data = VectorTestData.Clustered(200, Dims, 4, seed: 10);
        using var index = Build(data, flatLimit: 50);
        for (var i = 0; i < 200; i++)
        {
            index.Remove(i);
        }

        Assert.Equal(0, index.Count);
        Assert.Empty(Search(index, VectorTestData.Row(data, Dims, 0), 5));
        index.Add(7, VectorTestData.Row(data, Dims, 3));
        Assert.Equal(7, Search(index, VectorTestData.Row(data, Dims, 3), 5).Single().Key);
    }

    [Fact]
    public void An_empty_index_returns_no_hits()
    {
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0 });
        Assert.Empty(Search(index, VectorTestData.Uniform(1, Dims, 1), 3));
        Assert.Equal(0, index.Search(VectorTestData.Uniform(1, Dims, 1), Span<VectorHit>.Empty));
    }

    [Fact]
    public void Vectors_of_the_wrong_length_are_rejected()
    {
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims });
        Assert.Equal("unitVector", Assert.Throws<ArgumentException>(() => index.Add(1, new float[Dims + 1])).ParamName);
        Assert.Equal("unitQuery", Assert.Throws<ArgumentException>(() => index.Search(new float[3], new VectorHit[1])).ParamName);
    }

    [Fact]
    public void Invalid_options_name_the_offending_field()
    {
        Assert.Equal("M", Assert.Throws<ArgumentOutOfRangeException>(() => new PartitionIndex(new VectorIndexOptions { Dimensions = 4, M = 1 })).ParamName);
        Assert.Equal("Dimensions", Assert.Throws<ArgumentOutOfRangeException>(() => new PartitionIndex(new VectorIndexOptions { Dimensions = 0 })).ParamName);
        Assert.Equal("EfSearch", Assert.Throws<ArgumentOutOfRangeException>(() => new PartitionIndex(new VectorIndexOptions { Dimensions = 4, EfSearch = 0 })).ParamName);
    }

    [Fact]
    public void Parallel_and_sequential_builds_both_find_their_own_vectors()
    {
        var data = VectorTestData.Clustered(3000, Dims, 30, seed: 11);
        using var parallel = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0, M = 8, EfConstruction = 64 });
        parallel.AddRange(Enumerable.Range(0, 3000).Select(i => (long)i).ToArray(), data, threads: 4);
        using var sequential = Build(data, flatLimit: 0);
        Assert.Equal(3000, parallel.Count);
        foreach (var index in new[] { parallel, sequential })
        {
            var self = 0;
            for (var i = 0; i < 3000; i += 7)
            {
                self += Search(index, VectorTestData.Row(data, Dims, i), 1)[0].Key == i ? 1 : 0;
            }

            // 429 probes; a node unreachable from the entry point would show up as a miss.
            Assert.InRange(self, 425, 429);
        }
    }

    [Fact]
    public void Contains_and_Keys_follow_adds_replacements_and_removals()
    {
        var data = VectorTestData.Clustered(120, Dims, 4, seed: 12);
        using var index = Build(data, flatLimit: 50);
        index.Add(5, VectorTestData.Row(data, Dims, 6));
        index.Remove(7);
        Assert.True(index.Contains(5));
        Assert.False(index.Contains(7));
        Assert.False(index.Contains(500));
        var keys = index.Keys();
        Assert.Equal(119, keys.Length);
        Assert.Equal(Enumerable.Range(0, 120).Where(i => i != 7).Select(i => (long)i), keys.Order());
    }
}
