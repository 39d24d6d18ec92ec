using SemCache.Eviction;
using SemCache.Partitions;
using SemCache.Storage;
using SemCache.Vectors;

namespace SemCache.Tests.Engine;

/// <summary>What an entry costs in memory is counted against the byte limits, and the limits bound it.</summary>
public sealed class MemoryAccountingTests
{
    [Fact]
    public async Task An_entry_is_charged_its_record_its_metadata_its_vector_and_its_partition()
    {
        await using var cache = TestCache.Create();
        var stored = TestCache.Store("t", "what is the refund policy", "thirty days");
        await cache.StoreAsync(stored);

        var stats = await cache.GetStatsAsync("t");
        var index = new VectorIndexOptions { Dimensions = TestCache.Dims, FlatSearchLimit = 2048 };
        var recordBytes = 96 + ((stored.Prompt.Length + stored.Response.Length) * 2L) + (TestCache.Dims * 4L) + ("t".Length * 2L);
        Assert.Equal(recordBytes + EntryCost.MetadataBytes + EntryCost.VectorBytes(index) + EntryCost.PartitionBytes(index), stats.Bytes);

        // Invalidating gives all of it back, the partition's fixed cost included.
        await cache.InvalidateAsync(CacheInvalidation.ForTenant("t"));
        Assert.Equal(0, (await cache.GetStatsAsync("t")).Bytes);
    }

    [Fact]
    public async Task A_byte_limit_holds_the_counted_bytes_under_a_stream_ten_times_larger()
    {
        const long limit = 256 * 1024;
        await using var cache = TestCache.Create(o => o.MaxBytes = limit);
        long streamed = 0;
        for (var i = 0; streamed < 10 * limit; i++)
        {
            var store = TestCache.Store("t", $"question number {i} about the product", new string('a', 400), ScopeOf(i % 50));
            await cache.StoreAsync(store);
            streamed += 400 * 2;
            Assert.InRange((await cache.GetStatsAsync(null)).Bytes, 0, limit);
        }

        var stats = await cache.GetStatsAsync(null);
        Assert.True(stats.Evictions > 0);
        Assert.True(stats.Entries > 0);
    }

    [Theory]
    [InlineData(0, 28)]
    [InlineData(64L << 20, 27)]
    [InlineData(1L << 20, 24)]
    [InlineData(1L << 40, 28)]
    public void The_in_memory_log_follows_the_byte_limit(long maxBytes, int expectedBits) =>
        Assert.Equal(expectedBits, EntryStoreOptions.LogMemoryBitsFor(maxBytes));

    // InMemory mode keeps older pages in native memory: the managed log is half the limit, 16 to 64 MiB.
    [Theory]
    [InlineData(0, 26)]
    [InlineData(64L << 20, 25)]
    [InlineData(1L << 20, 24)]
    [InlineData(1L << 40, 26)]
    public void The_managed_log_of_an_in_memory_cache_is_at_most_64_MiB(long maxBytes, int expectedBits) =>
        Assert.Equal(expectedBits, EntryStoreOptions.LogMemoryBitsFor(maxBytes, CacheDurability.InMemory));

    // One 64-byte bucket per entry the limits allow (an entry is charged at least 384 + 4·Dimensions bytes).
    [Theory]
    [InlineData(0, 0, CacheDurability.InMemory, EntryStoreOptions.UnboundedInMemoryIndexBuckets)]
    [InlineData(0, 0, CacheDurability.Durable, 1L << 20)]
    [InlineData(0, 100_000, CacheDurability.InMemory, 1L << 17)]
    [InlineData(64L << 20, 0, CacheDurability.Fast, 1L << 16)]
    [InlineData(64L << 20, 1_000, CacheDurability.InMemory, 1L << 12)]
    [InlineData(1L << 40, 0, CacheDurability.Durable, 1L << 20)]
    public void The_store_index_is_sized_for_the_entries_the_limits_allow(long maxBytes, long maxEntries, CacheDurability durability, long expectedBuckets) =>
        Assert.Equal(expectedBuckets, EntryStoreOptions.IndexBucketsFor(maxBytes, maxEntries, 384, durability));

    [Fact]
    public void The_registry_charges_a_partition_once_when_created_and_gives_it_back_when_dropped()
    {
        long charged = 0;
        using var registry = new PartitionRegistry(new VectorIndexOptions { Dimensions = 4 }, 1000, (_, bytes) => charged += bytes);
        var p = registry.Enter(1, "t", new byte[32]);
        Assert.Equal(1000, charged);
        registry.Exit(p);
        Assert.Equal(0, charged);
    }

    private static CacheScope ScopeOf(int i) => new()
    {
        Model = "gpt-test",
        Extra = new Dictionary<string, string> { ["k"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };
}
