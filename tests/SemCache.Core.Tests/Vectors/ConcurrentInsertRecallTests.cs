using SemCache.Vectors;
using Xunit.Abstractions;

namespace SemCache.Tests.Vectors;

public sealed class ConcurrentInsertRecallTests(ITestOutputHelper output)
{
    private const int Dims = 64;
    private const int Count = 6000;
    private const int Queries = 100;

    [Fact]
    public async Task A_graph_built_by_concurrent_writers_recalls_as_well_as_one_built_by_a_single_writer()
    {
        var all = VectorTestData.Clustered(Count + Queries, Dims, clusters: 60, seed: 51);
        var data = all[..(Count * Dims)];
        var queries = all[(Count * Dims)..];
        var options = new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0, M = 8, EfConstruction = 40 };

        using var single = new PartitionIndex(options);
        for (var i = 0; i < Count; i++)
        {
            single.Add(i, VectorTestData.Row(data, Dims, i));
        }

        // Three writers through the public Add, interleaved so their nodes neighbour each other and their links
        // race on the same lists.
        using var concurrent = new PartitionIndex(options);
        await Task.WhenAll(Enumerable.Range(0, 3).Select(w => Task.Run(() =>
        {
            for (var i = w; i < Count; i += 3)
            {
                concurrent.Add(i, VectorTestData.Row(data, Dims, i));
            }
        })));
        Assert.Equal(Count, concurrent.Count);

        var truth = Enumerable.Range(0, Queries).Select(q => VectorTestData.BruteForce(data, Dims, VectorTestData.Row(queries, Dims, q), 10)).ToArray();
        // Small M, efConstruction and ef keep recall off its ceiling (measured when written: 0.871 single, 0.881 with
        // three writers), so a graph damaged by racing links has room to show it.
        var a = Recall(single, queries, truth, ef: 10);
        var b = Recall(concurrent, queries, truth, ef: 10);
        output.WriteLine($"recall@10 at ef=10: single writer {a:F4}, three writers {b:F4}");

        // Insertion order alone moves recall between builds at these settings (hnswlib shows the same). Measured for
        // three writers: 0.867-0.881 on a quiet machine, 0.828 once in a fresh clone's CI run with every test assembly
        // competing for the 2 cores (the interleaving, hence the graph, changes with the load). A 0.06 margin absorbs
        // that spread; lost links or unreachable nodes from a race cost far more at ef=10 (tens of points).
        Assert.True(b >= a - 0.06, $"concurrent {b:F4} vs single {a:F4}");
        Assert.InRange(a, 0.8, 1.0);
    }

    private static double Recall(PartitionIndex index, float[] queries, long[][] truth, int ef)
    {
        var hits = new VectorHit[10];
        var found = 0;
        for (var q = 0; q < Queries; q++)
        {
            var n = index.Search(VectorTestData.Row(queries, Dims, q), hits, ef);
            found += hits[..n].Count(h => Array.IndexOf(truth[q], h.Key) >= 0);
        }

        return found / (double)(Queries * 10);
    }
}
