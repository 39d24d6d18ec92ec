namespace SemCache.Tests.Engine;

/// <summary>
/// The open-time warm-up (what the first store would otherwise pay) runs on throw-away values: a freshly
/// opened cache holds nothing and reports nothing. Its effect on latency is measured by the crossing
/// probe, not here.
/// </summary>
public sealed class WarmUpTests
{
    [Fact]
    public async Task A_freshly_opened_cache_holds_no_entry_tenant_partition_or_cost_line()
    {
        await using var cache = TestCache.Create();

        Assert.Equal(0, cache.TrackedItems);
        Assert.Equal(0, cache.Partitions.Created);
        var stats = await cache.GetStatsAsync(null);
        Assert.Equal(0, stats.Entries);
        Assert.Equal(0, stats.Bytes);
        Assert.Equal(0, stats.Partitions);
        Assert.Equal(0, stats.Stores);
        Assert.Empty(stats.Costs);
        var lookup = await cache.LookupAsync(TestCache.Lookup("semcache-warm-up", "How do I rotate the API key of \"Project Alpha\" in v2.3.1 before 2024-06-30, not after 10 days?"));
        Assert.False(lookup.IsHit);
    }

    [Fact]
    public async Task The_first_store_after_open_is_served_like_any_other()
    {
        await using var cache = TestCache.Create();
        var stored = await cache.StoreAsync(TestCache.Store("t", "what is the refund policy", "thirty days"));

        Assert.Equal(1, stored.EntryId);
        var hit = await cache.LookupAsync(TestCache.Lookup("t", "what is the refund policy"));
        Assert.True(hit.IsHit);
        Assert.Equal("thirty days", hit.Response);
    }
}
