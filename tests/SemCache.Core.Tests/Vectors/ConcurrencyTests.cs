using SemCache.Vectors;

namespace SemCache.Tests.Vectors;

public sealed class ConcurrencyTests
{
    private const int Dims = 32;

    [Fact]
    public async Task Concurrent_readers_and_writers_see_only_valid_results()
    {
        // Keys 0..1999 map to fixed vectors; a writer adds, replaces (with the same vector, so any hit can be checked
        // exactly), removes and re-adds them across the flat->graph promotion and several tombstone rebuilds, while
        // readers search without pause.
        var data = VectorTestData.Clustered(2000, Dims, 20, seed: 31);
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 300, M = 8, EfConstruction = 40 });
        using var stop = new CancellationTokenSource();
        var searches = 0L;

        var readers = Enumerable.Range(0, 3).Select(r => Task.Run(() =>
        {
            var hits = new VectorHit[10];
            var random = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                var query = VectorTestData.Row(data, Dims, random.Next(2000));
                var n = index.Search(query, hits, 32);
                Assert.InRange(n, 0, 10);
                for (var i = 0; i < n; i++)
                {
                    Assert.InRange(hits[i].Key, 0, 1999);
                    var expected = VectorTestData.Dot(VectorTestData.Row(data, Dims, (int)hits[i].Key), query);
                    Assert.InRange(hits[i].Similarity, expected - 1e-4, expected + 1e-4);
                    if (i > 0)
                    {
                        Assert.True(hits[i - 1].Similarity >= hits[i].Similarity);
                    }

                    for (var j = 0; j < i; j++)
                    {
                        Assert.NotEqual(hits[j].Key, hits[i].Key);
                    }
                }

                Interlocked.Increment(ref searches);
            }
        })).ToArray();

        var writer = Task.Run(() =>
        {
            // Start once a reader runs: on a busy machine the writer could otherwise finish before any reader was
            // scheduled, and the searches this test is about would not happen at all.
            SpinWait.SpinUntil(() => Interlocked.Read(ref searches) > 0, TimeSpan.FromSeconds(30));
            var random = new Random(32);
            for (var op = 0; op < 4000; op++)
            {
                var key = random.Next(2000);
                if (op % 3 == 2)
                {
                    index.Remove(key);
                }
                else
                {
                    index.Add(key, VectorTestData.Row(data, Dims, key));
                }
            }
        });

        await writer;
        await stop.CancelAsync();
        await Task.WhenAll(readers);

        index.WaitForMaintenance();
        Assert.True(index.IsGraph);
        Assert.True(Interlocked.Read(ref searches) > 0);

        // After the storm the index is consistent: every live key finds itself.
        var top = new VectorHit[1];
        var live = 0;
        for (var key = 0; key < 2000; key++)
        {
            index.Search(VectorTestData.Row(data, Dims, key), top, 64);
            live += top[0].Key == key && top[0].Similarity > 0.999f ? 1 : 0;
        }

        Assert.InRange(live, index.Count - 5, index.Count);
    }

    [Fact]
    public async Task Parallel_build_runs_alongside_searches()
    {
        var data = VectorTestData.Clustered(4000, Dims, 20, seed: 33);
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0, M = 8, EfConstruction = 40 });
        index.AddRange(Enumerable.Range(0, 1000).Select(i => (long)i).ToArray(), data.AsSpan(0, 1000 * Dims), threads: 2);
        using var stop = new CancellationTokenSource();
        var reader = Task.Run(() =>
        {
            var hits = new VectorHit[5];
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                var n = index.Search(VectorTestData.Row(data, Dims, i++ % 4000), hits, 16);
                Assert.All(hits[..n], h => Assert.InRange(h.Key, 0, 3999));
            }
        });
        index.AddRange(Enumerable.Range(1000, 3000).Select(i => (long)i).ToArray(), data.AsSpan(1000 * Dims), threads: 3);
        await stop.CancelAsync();
        await reader;
        Assert.Equal(4000, index.Count);
    }
}
