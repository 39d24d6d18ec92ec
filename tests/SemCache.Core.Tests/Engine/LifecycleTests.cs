using Microsoft.Extensions.Time.Testing;
using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class LifecycleTests
{
    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task An_expired_entry_is_never_served_even_before_the_sweeper_runs()
    {
        var time = Clock();
        await using var cache = Create(time: time);
        await cache.StoreAsync(Store("acme", "capital of France", "Paris") with { TimeToLive = TimeSpan.FromMinutes(1) });
        Assert.True((await cache.LookupAsync(Lookup("acme", "capital of France"))).IsHit);

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(CacheHitKind.Miss, (await cache.LookupAsync(Lookup("acme", "capital of France"))).Kind);
        Assert.Equal(CacheHitKind.Miss, (await cache.LookupAsync(Lookup("acme", "France capital of"))).Kind);
    }

    [Fact]
    public async Task The_default_time_to_live_applies_to_entries_stored_without_one()
    {
        var time = Clock();
        await using var cache = Create(o => o.DefaultTimeToLive = TimeSpan.FromSeconds(30), time: time);
        await cache.StoreAsync(Store("acme", "capital of France", "Paris"));

        time.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal(CacheHitKind.Miss, (await cache.LookupAsync(Lookup("acme", "capital of France"))).Kind);
    }

    [Fact]
    public async Task Least_recently_used_eviction_keeps_the_entries_that_were_read()
    {
        var time = Clock();
        await using var cache = Create(o => { o.MaxEntries = 3; o.EvictionPolicy = CacheEvictionPolicy.LeastRecentlyUsed; }, time: time);
        foreach (var p in new[] { "alpha one", "beta two", "gamma three" })
        {
            await cache.StoreAsync(Store("acme", p, p));
            time.Advance(TimeSpan.FromSeconds(1));
        }

        await cache.LookupAsync(Lookup("acme", "alpha one"));
        time.Advance(TimeSpan.FromSeconds(1));
        await cache.StoreAsync(Store("acme", "delta four", "d"));

        var stats = await cache.GetStatsAsync("acme");
        Assert.Equal(3, stats.Entries);
        Assert.Equal(1, stats.Evictions);
        Assert.True((await cache.LookupAsync(Lookup("acme", "alpha one"))).IsHit);
        Assert.Equal(CacheHitKind.Miss, (await cache.LookupAsync(Lookup("acme", "beta two"))).Kind);
    }

    [Fact]
    public async Task Cost_aware_eviction_keeps_what_saves_the_most_money_per_byte()
    {
        await using var cache = Create(o => { o.MaxEntries = 2; o.EvictionPolicy = CacheEvictionPolicy.CostAware; });
        await cache.StoreAsync(Store("acme", "expensive question", "x") with { Usage = new CacheUsage(1000, 1000, 1.00) });
        await cache.StoreAsync(Store("acme", "cheap question", "x") with { Usage = new CacheUsage(10, 10, 0.001) });
        await cache.StoreAsync(Store("acme", "medium question", "x") with { Usage = new CacheUsage(100, 100, 0.10) });

        Assert.True((await cache.LookupAsync(Lookup("acme", "expensive question") with { Mode = CacheLookupMode.ExactOnly })).IsHit);
        Assert.True((await cache.LookupAsync(Lookup("acme", "medium question") with { Mode = CacheLookupMode.ExactOnly })).IsHit);
        Assert.False((await cache.LookupAsync(Lookup("acme", "cheap question") with { Mode = CacheLookupMode.ExactOnly })).IsHit);
    }

    [Fact]
    public async Task Per_tenant_limits_evict_only_within_that_tenant()
    {
        await using var cache = Create(o => o.MaxEntriesPerTenant = 2);
        await cache.StoreAsync(Store("quiet", "quiet question", "q"));
        for (var i = 0; i < 10; i++) { await cache.StoreAsync(Store("noisy", $"noisy question {i}", "n")); }

        Assert.Equal(2, (await cache.GetStatsAsync("noisy")).Entries);
        Assert.Equal(1, (await cache.GetStatsAsync("quiet")).Entries);
        Assert.True((await cache.LookupAsync(Lookup("quiet", "quiet question"))).IsHit);
    }

    [Fact]
    public async Task Byte_limits_are_respected()
    {
        await using var cache = Create(o => o.MaxBytes = 20_000);
        for (var i = 0; i < 20; i++) { await cache.StoreAsync(Store("acme", $"question number {i}", new string('r', 2_000))); }

        var stats = await cache.GetStatsAsync(null);
        Assert.InRange(stats.Bytes, 1, 20_000);
        Assert.True(stats.Evictions > 0);
    }

    [Fact]
    public async Task Invalidation_by_id_tag_scope_and_tenant_removes_exactly_those_entries()
    {
        await using var cache = Create();
        var other = Scope with { Model = "other" };
        var one = await cache.StoreAsync(Store("acme", "first question", "1") with { Tags = ["doc:1"] });
        await cache.StoreAsync(Store("acme", "second question", "2") with { Tags = ["doc:1", "doc:2"] });
        await cache.StoreAsync(Store("acme", "third question", "3") with { Tags = ["doc:2"] });
        await cache.StoreAsync(Store("acme", "fourth question", "4", other));

        Assert.Equal(1, await cache.InvalidateAsync(CacheInvalidation.ForEntry("acme", one.EntryId)));
        Assert.Equal(0, await cache.InvalidateAsync(CacheInvalidation.ForEntry("acme", one.EntryId)));
        Assert.Equal(1, await cache.InvalidateAsync(CacheInvalidation.ForTag("acme", "doc:1")));
        Assert.True((await cache.LookupAsync(Lookup("acme", "third question"))).IsHit);
        Assert.Equal(1, await cache.InvalidateAsync(CacheInvalidation.ForScope("acme", Scope)));
        Assert.True((await cache.LookupAsync(Lookup("acme", "fourth question", other))).IsHit);
        Assert.Equal(1, await cache.InvalidateAsync(CacheInvalidation.ForTenant("acme")));

        var stats = await cache.GetStatsAsync("acme");
        Assert.Equal(0, stats.Entries);
        Assert.Equal(0, stats.Bytes);
        Assert.Equal(4, stats.Invalidations);
    }

    [Fact]
    public async Task Wrong_hit_feedback_raises_the_bar_and_then_removes_the_entry()
    {
        await using var cache = Create(o => o.SimilarityThreshold = 0.5f);
        var stored = await cache.StoreAsync(Store("acme", "capital of France please", "Paris"));
        var near = Lookup("acme", "capital of France");
        var first = await cache.LookupAsync(near);
        Assert.Equal(CacheHitKind.Semantic, first.Kind);

        Assert.True(await cache.ReportHitAsync(new CacheHitFeedback("acme", stored.EntryId, Correct: false)));
        Assert.True((await cache.LookupAsync(near with { MinSimilarity = first.Similarity - 0.01f })).Kind == CacheHitKind.Miss);
        Assert.True(await cache.ReportHitAsync(new CacheHitFeedback("acme", stored.EntryId, Correct: false)));

        Assert.Equal(CacheHitKind.Miss, (await cache.LookupAsync(Lookup("acme", "capital of France please"))).Kind);
        Assert.False(await cache.ReportHitAsync(new CacheHitFeedback("acme", stored.EntryId, Correct: true)));
    }
    [Fact]
    public async Task Disposal_waits_for_running_lookups_and_later_calls_are_refused()
    {
        var cache = Create(o => o.FlatSearchLimit = 8);
        for (var i = 0; i < 64; i++) { await cache.StoreAsync(Store("acme", $"question number {i}", $"answer {i}")); }
        var served = 0;
        var unexpected = new List<Exception>();
        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(async () =>
        {
            for (var n = 0; ; n++)
            {
                try
                {
                    var hit = await cache.LookupAsync(Lookup("acme", $"question number {n % 64}"));
                    Assert.Equal($"answer {n % 64}", hit.Response);
                    Interlocked.Increment(ref served);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                catch (Exception e)
                {
                    lock (unexpected) { unexpected.Add(e); }
                    return;
                }
            }
        })).ToArray();
        while (Volatile.Read(ref served) < 200) { await Task.Delay(10); }

        await cache.DisposeAsync();
        await Task.WhenAll(readers);

        Assert.Empty(unexpected);
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await cache.LookupAsync(Lookup("acme", "question number 1")));
    }
}
