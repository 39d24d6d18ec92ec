using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class IsolationTests
{
    [Fact]
    public async Task Two_tenants_storing_identical_prompts_never_see_each_others_entries()
    {
        await using var cache = Create();
        var a = await cache.StoreAsync(Store("tenant-a", "capital of France", "answer for A") with { Tags = ["t"] });
        var b = await cache.StoreAsync(Store("tenant-b", "capital of France", "answer for B") with { Tags = ["t"] });

        Assert.Equal("answer for A", (await cache.LookupAsync(Lookup("tenant-a", "capital of France"))).Response);
        Assert.Equal("answer for B", (await cache.LookupAsync(Lookup("tenant-b", "capital of France"))).Response);
        Assert.Equal("answer for A", (await cache.LookupAsync(Lookup("tenant-a", "France capital of"))).Response);
        Assert.Equal(CacheHitKind.Miss, (await cache.LookupAsync(Lookup("tenant-c", "capital of France"))).Kind);
        Assert.NotEqual(a.EntryId, b.EntryId);
    }

    [Fact]
    public async Task Invalidating_through_one_tenant_never_touches_another()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("tenant-a", "capital of France", "A") with { Tags = ["geo"] });
        var b = await cache.StoreAsync(Store("tenant-b", "capital of France", "B") with { Tags = ["geo"] });

        Assert.Equal(0, await cache.InvalidateAsync(CacheInvalidation.ForEntry("tenant-a", b.EntryId)));
        Assert.False(await cache.ReportHitAsync(new CacheHitFeedback("tenant-a", b.EntryId, Correct: false)));
        Assert.Equal(1, await cache.InvalidateAsync(CacheInvalidation.ForTag("tenant-a", "geo")));
        Assert.Equal(0, await cache.InvalidateAsync(CacheInvalidation.ForScope("tenant-a", Scope)));
        Assert.Equal(0, await cache.InvalidateAsync(CacheInvalidation.ForTenant("tenant-a")));

        var survivor = await cache.LookupAsync(Lookup("tenant-b", "capital of France"));
        Assert.Equal("B", survivor.Response);
        Assert.Equal(1, (await cache.GetStatsAsync("tenant-b")).Entries);
    }

    [Fact]
    public async Task Stats_of_a_tenant_count_only_its_own_entries_and_lookups()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("tenant-a", "one", "1"));
        await cache.StoreAsync(Store("tenant-a", "two", "2"));
        await cache.StoreAsync(Store("tenant-b", "one", "1"));
        await cache.LookupAsync(Lookup("tenant-b", "one"));

        var a = await cache.GetStatsAsync("tenant-a");
        var b = await cache.GetStatsAsync("tenant-b");
        var all = await cache.GetStatsAsync(null);
        var nobody = await cache.GetStatsAsync("tenant-z");

        Assert.Equal((2, 0), (a.Entries, a.Lookups));
        Assert.Equal((1, 1), (b.Entries, b.Lookups));
        Assert.Equal(3, all.Entries);
        Assert.Equal(0, nobody.Entries);
        Assert.Equal("tenant-z", nobody.Tenant);
    }
}
