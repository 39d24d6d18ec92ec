using SemCache.Vectors;

namespace SemCache.Tests.Vectors;

public sealed class BackgroundMaintenanceTests
{
    private const int Dims = 48;

    private static VectorIndexOptions Options(int flatLimit) =>
        new() { Dimensions = Dims, FlatSearchLimit = flatLimit, M = 8, EfConstruction = 48, EfSearch = 32 };

    [Fact]
    public void Crossing_the_flat_limit_returns_at_once_and_searches_stay_exact_until_the_graph_is_done()
    {
        // Uniform data and ef = 10: a search of a half-linked graph would miss true neighbours on many of the 40
        // queries, so equality with brute force for every one of them shows the scan was used.
        var data = VectorTestData.Uniform(1200, Dims, seed: 41);
        using var hold = new ManualResetEventSlim(false);
        using var index = new PartitionIndex(Options(flatLimit: 400)) { HoldMaintenanceForTests = hold };
        for (var i = 0; i < 1200; i++)
        {
            index.Add(i, VectorTestData.Row(data, Dims, i));
        }

        // The Add that crossed the limit did not build the graph: the build is parked on the hold.
        Assert.True(index.IsMaintaining);
        Assert.False(index.IsGraph);
        var queries = VectorTestData.Uniform(40, Dims, seed: 42);
        var hits = new VectorHit[10];
        for (var q = 0; q < 40; q++)
        {
            var query = VectorTestData.Row(queries, Dims, q);
            var n = index.Search(query, hits, 10);
            Assert.Equal(VectorTestData.BruteForce(data, Dims, query, 10).Order(), hits[..n].Select(h => h.Key).Order());
        }

        hold.Set();
        index.WaitForMaintenance();
        Assert.True(index.IsGraph);
        Assert.Equal(1200, index.Count);
    }

    [Fact]
    public async Task Adds_replacements_and_removals_during_a_promotion_are_neither_lost_nor_duplicated()
    {
        var data = VectorTestData.Clustered(3000, Dims, 30, seed: 43);
        using var hold = new ManualResetEventSlim(false);
        using var index = new PartitionIndex(Options(flatLimit: 500)) { HoldMaintenanceForTests = hold };
        for (var i = 0; i < 600; i++)
        {
            index.Add(i, VectorTestData.Row(data, Dims, i));
        }

        Assert.True(index.IsMaintaining);

        // Two writers (disjoint keys: each owns one parity) and a reader run while the backlog is parked, then while it
        // is linked; a key's vector is always its own row, so every hit can be checked exactly.
        var expected = new bool[3000];
        for (var i = 0; i < 600; i++)
        {
            expected[i] = true;
        }

        var reads = await WriteWhileReadingAsync(index, data, expected, hold, seed: 44, operations: 3000, releaseAt: 600, releasingWriter: 0);
        Assert.True(reads > 0);

        Assert.True(index.IsGraph);
        AssertHoldsExactly(index, data, expected);
    }

    [Fact]
    public async Task Adds_replacements_and_removals_during_a_rebuild_reach_the_new_generation()
    {
        var data = VectorTestData.Clustered(3000, Dims, 30, seed: 45);
        using var hold = new ManualResetEventSlim(false);
        using var index = new PartitionIndex(Options(flatLimit: 200));
        for (var i = 0; i < 2000; i++)
        {
            index.Add(i, VectorTestData.Row(data, Dims, i));
        }

        index.WaitForMaintenance();
        Assert.True(index.IsGraph);
        var freedBefore = index.FreedArenas;
        index.HoldMaintenanceForTests = hold;
        var expected = new bool[3000];
        for (var i = 0; i < 2000; i++)
        {
            expected[i] = true;
        }

        // A quarter and a bit removed: the rebuild starts, copies, hands over and parks before linking.
        for (var i = 0; i < 2000; i += 3)
        {
            Assert.True(index.Remove(i));
            expected[i] = false;
        }

        Assert.True(index.IsMaintaining);
        var reads = await WriteWhileReadingAsync(index, data, expected, hold, seed: 46, operations: 2000, releaseAt: 500, releasingWriter: 1);
        Assert.True(reads > 0);

        // The old generation was swapped out and, with no reader left on it, freed.
        Assert.True(index.FreedArenas > freedBefore);
        Assert.Equal(1, index.LiveArenas);
        AssertHoldsExactly(index, data, expected);
    }

    [Fact]
    public void A_retired_generation_is_freed_when_its_last_reader_lets_go_and_disposal_frees_the_rest()
    {
        var data = VectorTestData.Clustered(1000, Dims, 10, seed: 47);
        var index = new PartitionIndex(Options(flatLimit: 0));
        for (var i = 0; i < 1000; i++)
        {
            index.Add(i, VectorTestData.Row(data, Dims, i));
        }

        // Six doublings from 16 slots to 1,024: every outgrown arena was freed at once (no reader held it).
        Assert.Equal(1, index.LiveArenas);
        Assert.Equal(6, index.FreedArenas);

        var pinned = index.PinCurrentArena()!;
        for (var i = 0; i < 600; i++)
        {
            index.Remove(i);
        }

        index.WaitForMaintenance();

        // Swapped out, but a reader still holds it: its memory must stay.
        Assert.Equal(400, index.Count);
        Assert.Equal(2, index.LiveArenas);
        Assert.False(pinned.IsFreed);
        pinned.Release();
        Assert.True(pinned.IsFreed);
        Assert.Equal(1, index.LiveArenas);

        index.Dispose();
        Assert.Equal(0, index.LiveArenas);
        Assert.Equal(0, index.Search(VectorTestData.Row(data, Dims, 700), new VectorHit[3]));
    }

    [Fact]
    public void Disposing_during_a_promotion_stops_it_and_frees_every_arena()
    {
        var data = VectorTestData.Clustered(800, Dims, 10, seed: 48);
        using var hold = new ManualResetEventSlim(false);
        var index = new PartitionIndex(Options(flatLimit: 100)) { HoldMaintenanceForTests = hold };
        for (var i = 0; i < 800; i++)
        {
            index.Add(i, VectorTestData.Row(data, Dims, i));
        }

        Assert.True(index.IsMaintaining);
        index.Dispose();
        Assert.False(index.IsMaintaining);
        Assert.Equal(0, index.LiveArenas);
        Assert.Throws<ObjectDisposedException>(() => index.Add(1, VectorTestData.Row(data, Dims, 1)));
    }

    [Fact]
    public void A_snapshot_written_during_a_promotion_restores_flat_and_is_promoted_again()
    {
        var data = VectorTestData.Clustered(700, Dims, 10, seed: 49);
        using var hold = new ManualResetEventSlim(false);
        using var index = new PartitionIndex(Options(flatLimit: 300)) { HoldMaintenanceForTests = hold };
        for (var i = 0; i < 700; i++)
        {
            index.Add(i, VectorTestData.Row(data, Dims, i));
        }

        using var stream = new MemoryStream();
        Assert.True(index.WriteSnapshot(stream));
        hold.Set();
        stream.Position = 0;
        using var restored = PartitionIndex.ReadSnapshot(stream, Options(flatLimit: 300));
        restored.WaitForMaintenance();
        Assert.True(restored.IsGraph);
        Assert.Equal(700, restored.Count);
        var top = new VectorHit[1];
        for (var i = 0; i < 700; i += 7)
        {
            restored.Search(VectorTestData.Row(data, Dims, i), top, 32);
            Assert.Equal(i, top[0].Key);
        }
    }

    /// <summary>Searches until cancelled (at least once), checking each hit against its key's row; returns how many searches ran.</summary>
    private static int ReadUntil(PartitionIndex index, float[] data, TaskCompletionSource reading, CancellationToken stop)
    {
        var hits = new VectorHit[10];
        var random = new Random(50);
        var searches = 0;
        var rows = data.Length / Dims;
        do
        {
            var query = VectorTestData.Row(data, Dims, random.Next(rows));
            var n = index.Search(query, hits, 16);
            for (var i = 0; i < n; i++)
            {
                var expected = VectorTestData.Dot(VectorTestData.Row(data, Dims, (int)hits[i].Key), query);
                Assert.InRange(hits[i].Similarity, expected - 1e-4, expected + 1e-4);
                for (var j = 0; j < i; j++)
                {
                    Assert.NotEqual(hits[j].Key, hits[i].Key);
                }
            }

            searches++;
            reading.TrySetResult();
        }
        while (!stop.IsCancellationRequested);

        return searches;
    }

    /// <summary>The index holds exactly the expected keys, each once, each finding itself first.</summary>
    /// <summary>
    /// Two writers (disjoint keys: each owns one parity) add, replace and remove while a reader searches; writer
    /// <paramref name="releasingWriter"/> releases the parked maintenance after <paramref name="releaseAt"/> operations.
    /// Returns once the writers are done and maintenance has finished; the result is the number of searches the reader ran.
    /// </summary>
    private static async Task<int> WriteWhileReadingAsync(
        PartitionIndex index, float[] data, bool[] expected, ManualResetEventSlim hold, int seed, int operations, int releaseAt, int releasingWriter)
    {
        using var stop = new CancellationTokenSource();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(() => ReadUntil(index, data, reading, stop.Token));
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(async () =>
        {
            // Start writing only once the reader runs, so that searches overlap the writes even on a busy machine.
            await reading.Task;
            var random = new Random(seed + w);
            for (var op = 0; op < operations; op++)
            {
                if (op == releaseAt && w == releasingWriter)
                {
                    hold.Set();
                }

                var key = (random.Next(1500) * 2) + w;
                if (op % 4 == 3)
                {
                    index.Remove(key);
                    expected[key] = false;
                }
                else
                {
                    index.Add(key, VectorTestData.Row(data, Dims, key));
                    expected[key] = true;
                }
            }
        })).ToArray();

        await Task.WhenAll(writers);
        index.WaitForMaintenance();
        await stop.CancelAsync();
        return await reader;
    }

    private static void AssertHoldsExactly(PartitionIndex index, float[] data, bool[] expected)
    {
        var want = Enumerable.Range(0, expected.Length).Where(k => expected[k]).Select(k => (long)k).ToArray();
        var keys = index.Keys();
        Assert.Equal(keys.Length, keys.Distinct().Count());
        Assert.Equal(want, keys.Order());
        Assert.Equal(want.Length, index.Count);
        var top = new VectorHit[1];
        var found = 0;
        foreach (var key in want)
        {
            index.Search(VectorTestData.Row(data, Dims, (int)key), top, 64);
            found += top[0].Key == key ? 1 : 0;
        }

        // Every live node must be reachable: a vector lost between generations (or a node never linked) misses
        // here. Clustered data has near-duplicates, so allow 0.5 % of probes to land on a twin.
        Assert.InRange(found, want.Length - (want.Length / 200), want.Length);
    }
}

public sealed class PreparedGrowthTests
{
    private const int Dims = 24;

    [Fact]
    public void A_doubling_uses_the_arena_prepared_in_the_background_and_keeps_every_vector_exact()
    {
        // Flat, so every search is an exact scan over the arena: a vector lost or misplaced by the split copy (most
        // vectors ahead of time, the rest at the doubling) changes the results.
        var count = HnswGraph.PrepareGrowthFrom + 10;
        var data = VectorTestData.Uniform(count, Dims, seed: 61);
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = int.MaxValue });
        var threeQuarters = HnswGraph.PrepareGrowthFrom * 3 / 4;
        for (var i = 0; i <= threeQuarters; i++)
        {
            index.Add(i, VectorTestData.Row(data, Dims, i));
        }

        // Capacity is now PrepareGrowthFrom and three quarters full: the next arena is being prepared.
        WaitForPreparation(index);
        Assert.Equal(2, index.LiveArenas);
        var freed = index.FreedArenas;
        for (var i = threeQuarters + 1; i < count; i++)
        {
            index.Add(i, VectorTestData.Row(data, Dims, i));
        }

        // One doubling since, which took the prepared arena: only the outgrown one was freed (a growth that ignored
        // the preparation would have freed or kept a second one), and the next preparation is not due yet.
        Assert.False(index.IsPreparingGrowth);
        Assert.Equal(freed + 1, index.FreedArenas);
        Assert.Equal(1, index.LiveArenas);
        var queries = VectorTestData.Uniform(20, Dims, seed: 62);
        var hits = new VectorHit[10];
        for (var q = 0; q < 20; q++)
        {
            var query = VectorTestData.Row(queries, Dims, q);
            var n = index.Search(query, hits);
            Assert.Equal(VectorTestData.BruteForce(data, Dims, query, 10).Order(), hits[..n].Select(h => h.Key).Order());
        }

        var top = new VectorHit[1];
        for (var i = 0; i < count; i += 37)
        {
            index.Search(VectorTestData.Row(data, Dims, i), top);
            Assert.Equal(i, top[0].Key);
        }
    }

    private static void WaitForPreparation(PartitionIndex index)
    {
        // The preparation is a short background copy; poll for its end (no timing is asserted).
        while (index.IsPreparingGrowth)
        {
            Thread.Sleep(5);
        }
    }
}
