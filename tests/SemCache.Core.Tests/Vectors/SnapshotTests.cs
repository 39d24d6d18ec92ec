using SemCache.Vectors;

namespace SemCache.Tests.Vectors;

public sealed class SnapshotTests
{
    private const int Dims = 40;

    private static VectorIndexOptions Options(int flatLimit) => new() { Dimensions = Dims, FlatSearchLimit = flatLimit, M = 8, EfConstruction = 48 };

    private static (PartitionIndex Index, float[] Data) Build(int count, int flatLimit)
    {
        var data = VectorTestData.Clustered(count, Dims, 12, seed: 21);
        var index = new PartitionIndex(Options(flatLimit));
        for (var i = 0; i < count; i++)
        {
            index.Add(1000 + i, VectorTestData.Row(data, Dims, i));
        }

        // A few tombstones (below the rebuild fraction) so the snapshot has to carry them.
        for (var i = 0; i < count; i += 25)
        {
            index.Remove(1000 + i);
        }

        // Promotion runs in the background; the snapshot tests compare finished indexes.
        index.WaitForMaintenance();
        return (index, data);
    }

    private static byte[] Snapshot(PartitionIndex index)
    {
        using var stream = new MemoryStream();
        Assert.True(index.WriteSnapshot(stream));
        return stream.ToArray();
    }

    [Theory]
    [InlineData(1500, 100)]
    [InlineData(300, 10_000)]
    public void A_restored_index_answers_exactly_like_the_original(int count, int flatLimit)
    {
        var (original, data) = Build(count, flatLimit);
        using var _ = original;
        var bytes = Snapshot(original);
        using var restored = PartitionIndex.ReadSnapshot(new MemoryStream(bytes), Options(flatLimit));

        Assert.Equal(original.Count, restored.Count);
        Assert.Equal(original.IsGraph, restored.IsGraph);
        Assert.Equal(original.TombstoneCount, restored.TombstoneCount);
        var queries = VectorTestData.Clustered(40, Dims, 12, seed: 22);
        var a = new VectorHit[10];
        var b = new VectorHit[10];
        for (var q = 0; q < 40; q++)
        {
            var query = VectorTestData.Row(queries, Dims, q);
            var na = original.Search(query, a, 32);
            var nb = restored.Search(query, b, 32);
            Assert.Equal(a[..na], b[..nb]);
        }

        // Writing the restored index reproduces the same bytes: nothing was rebuilt or reordered.
        Assert.Equal(bytes, Snapshot(restored));

        // The restored index stays writable: replace, delete, add.
        restored.Add(1001, VectorTestData.Row(data, Dims, 0));
        Assert.True(restored.Remove(1002));
        restored.Add(99, VectorTestData.Row(data, Dims, 2));
        Assert.Equal(99, restored.Search(VectorTestData.Row(data, Dims, 2), a, 32) > 0 ? a[0].Key : -1);
    }

    [Fact]
    public void Every_truncation_of_a_snapshot_is_rejected_as_invalid_data()
    {
        var (index, _) = Build(200, 50);
        using var _i = index;
        var bytes = Snapshot(index);
        for (var length = 0; length < bytes.Length; length += Math.Max(1, bytes.Length / 97))
        {
            Assert.Throws<InvalidDataException>(() => PartitionIndex.ReadSnapshot(new MemoryStream(bytes[..length]), Options(50)));
        }
    }

    [Fact]
    public void Damaged_bytes_are_rejected_as_invalid_data()
    {
        var (index, _) = Build(200, 50);
        using var _i = index;
        var bytes = Snapshot(index);
        var random = new Random(23);
        for (var trial = 0; trial < 200; trial++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[random.Next(damaged.Length)] ^= (byte)(1 << random.Next(8));
            Assert.Throws<InvalidDataException>(() => PartitionIndex.ReadSnapshot(new MemoryStream(damaged), Options(50)));
        }
    }

    [Fact]
    public void Garbage_and_mismatched_options_are_rejected_as_invalid_data()
    {
        var random = new Random(24);
        var garbage = new byte[4096];
        random.NextBytes(garbage);
        Assert.Throws<InvalidDataException>(() => PartitionIndex.ReadSnapshot(new MemoryStream(garbage), Options(50)));
        Assert.Throws<InvalidDataException>(() => PartitionIndex.ReadSnapshot(new MemoryStream([]), Options(50)));

        var (index, _) = Build(100, 50);
        using var _i = index;
        var bytes = Snapshot(index);
        Assert.Throws<InvalidDataException>(() => PartitionIndex.ReadSnapshot(new MemoryStream(bytes), Options(50) with { Dimensions = Dims + 1 }));
        Assert.Throws<InvalidDataException>(() => PartitionIndex.ReadSnapshot(new MemoryStream(bytes), Options(50) with { M = 12 }));
    }

    [Fact]
    public void A_header_claiming_a_huge_count_fails_without_exhausting_memory()
    {
        var (index, _) = Build(100, 50);
        using var _i = index;
        var bytes = Snapshot(index);

        // Count sits after magic, version, dimensions and M.
        BitConverter.TryWriteBytes(bytes.AsSpan(16, 4), int.MaxValue - 10);
        Assert.Throws<InvalidDataException>(() => PartitionIndex.ReadSnapshot(new MemoryStream(bytes), Options(50)));
    }

    [Fact]
    public async Task Stores_into_the_partition_do_not_wait_for_a_snapshot_being_written()
    {
        var (index, data) = Build(1500, 100);
        using var _ = index;
        index.Reserve(1600);
        using var stream = new BlockingStream();
        var writing = Task.Run(() => index.WriteSnapshot(stream));
        try
        {
            // The writer is now inside the node records (the first 64 KB flush), holding the arena gate for one batch.
            Assert.True(stream.Entered.Wait(TimeSpan.FromSeconds(30)), "the snapshot never reached its first write");

            // A liveness check, not a speed one: while the write is held, a store (which links into the graph) and a
            // removal finish; before the writer lock was released for the write, both waited for the whole snapshot.
            var store = Task.Run(() =>
            {
                index.Add(50_000, VectorTestData.Row(data, Dims, 3));
                return index.Remove(1001);
            });
            Assert.True(await Task.WhenAny(store, Task.Delay(TimeSpan.FromSeconds(30))) == store, "a store waited for the snapshot being written");
            Assert.True(await store);
        }
        finally
        {
            stream.Release.Set();
        }

        Assert.True(await writing);
        stream.Position = 0;
        using var restored = PartitionIndex.ReadSnapshot(stream, Options(100));

        // The snapshot holds what the capture fixed: neither the later store nor the later removal.
        Assert.False(restored.Contains(50_000));
        Assert.True(restored.Contains(1001));
    }

    [Fact]
    public async Task A_snapshot_written_while_writers_store_restores_every_key_stored_before_it()
    {
        var (index, data) = Build(1500, 100);
        using var _ = index;
        var before = index.Keys().ToHashSet();
        var extra = VectorTestData.Clustered(1500, Dims, 12, seed: 31);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            for (var i = 0; i < 1500 && !stop.IsCancellationRequested; i++)
            {
                index.Add(100_000 + i, VectorTestData.Row(extra, Dims, i));
            }
        });

        byte[] bytes;
        try
        {
            bytes = Snapshot(index);
        }
        finally
        {
            await stop.CancelAsync();
            await writer;
        }

        using var restored = PartitionIndex.ReadSnapshot(new MemoryStream(bytes), Options(100));
        var keys = restored.Keys().ToHashSet();
        Assert.Superset(before, keys);
        Assert.All(keys, k => Assert.True(before.Contains(k) || k >= 100_000));

        // Every node written links only to nodes written (ReadSnapshot checks each id), and the graph still finds
        // the stored vectors: at least 95 % of the keys stored before come back first for their own vector (a
        // finished build of this data finds all of them; records that lost a link to a newer node may cost a few).
        var hits = new VectorHit[1];
        var found = 0;
        for (var i = 0; i < 1500; i++)
        {
            var key = 1000 + i;
            if (before.Contains(key) && restored.Search(VectorTestData.Row(data, Dims, i), hits, 32) > 0 && hits[0].Key == key)
            {
                found++;
            }
        }

        Assert.True(found >= 0.95 * before.Count, $"{found} of {before.Count} keys found themselves");
    }

    /// <summary>A stream whose first write blocks until released, to hold a snapshot in the middle of its nodes.</summary>
    private sealed class BlockingStream : MemoryStream
    {
        private int _writes;

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Interlocked.Increment(ref _writes) == 1)
            {
                Entered.Set();
                Release.Wait();
            }

            base.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Entered.Dispose();
                Release.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
