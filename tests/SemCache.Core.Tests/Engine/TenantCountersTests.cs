namespace SemCache.Tests.Engine;

/// <summary>
/// Per-tenant figures (what a quota check reads on every store) come from counters the partition
/// registry keeps as partitions come and go, not from a scan of every partition: they must agree
/// with what the registry holds through creation, eviction, invalidation and the whole-cache total.
/// </summary>
public sealed class TenantCountersTests
{
    private static CacheScope ScopeOf(int i) => new()
    {
        Model = "gpt-test",
        Extra = new Dictionary<string, string> { ["k"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    [Fact]
    public async Task Partition_and_kernel_counts_per_tenant_follow_partitions_as_they_come_and_go()
    {
        await using var cache = TestCache.Create();
        for (var i = 0; i < 3; i++) { await cache.StoreAsync(TestCache.Store("a", "question " + i, "answer", ScopeOf(i))); }
        for (var i = 0; i < 2; i++) { await cache.StoreAsync(TestCache.Store("b", "question " + i, "answer", ScopeOf(i))); }

        var a = await cache.GetStatsAsync("a");
        var b = await cache.GetStatsAsync("b");
        var all = await cache.GetStatsAsync(null);
        Assert.Equal(3, a.Partitions);
        Assert.Equal(3, a.PartitionKernels!.Values.Sum());
        Assert.Equal(2, b.Partitions);
        Assert.Equal(5, all.Partitions);
        Assert.Equal(5, all.PartitionKernels!.Values.Sum());
        Assert.Equal(cache.Partitions.Count, all.Partitions);

        await cache.InvalidateAsync(CacheInvalidation.ForScope("a", ScopeOf(1)));
        Assert.Equal(2, (await cache.GetStatsAsync("a")).Partitions);
        await cache.InvalidateAsync(CacheInvalidation.ForTenant("a"));
        a = await cache.GetStatsAsync("a");
        Assert.Equal(0, a.Partitions);
        Assert.Empty(a.PartitionKernels!);
        Assert.Equal(2, (await cache.GetStatsAsync(null)).Partitions);
        Assert.Equal(cache.Partitions.Count, (await cache.GetStatsAsync(null)).Partitions);
    }

    [Fact]
    public async Task Eviction_under_a_tenant_byte_limit_keeps_the_partition_count_equal_to_the_registry()
    {
        await using var cache = TestCache.Create(o => o.MaxBytesPerTenant = 64 * 1024);
        for (var i = 0; i < 400; i++) { await cache.StoreAsync(TestCache.Store("t", "question number " + i, new string('a', 200), ScopeOf(i % 40))); }

        var stats = await cache.GetStatsAsync("t");
        Assert.True(stats.Evictions > 0);
        Assert.Equal(cache.Partitions.Count, stats.Partitions);
        Assert.Equal(cache.Partitions.Count, stats.PartitionKernels!.Values.Sum());
    }
}
