using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using SemCache.Caching;

namespace SemCache.Extensions.AI.Tests;

public sealed class DistributedCacheTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "semcache-dc-tests", Guid.NewGuid().ToString("n"));

    [Fact]
    public async Task HybridCache_with_SemCache_as_L2_round_trips_and_serves_the_value_after_a_restart_without_calling_the_factory()
    {
        var calls = 0;
        ValueTask<string> Factory(CancellationToken _)
        {
            calls++;
            return ValueTask.FromResult("forecast for Lisbon: sunny");
        }

        string first, second, afterRestart;
        await using (var services = Services())
        {
            var hybrid = services.GetRequiredService<HybridCache>();
            first = await hybrid.GetOrCreateAsync("weather:lisbon", Factory);
            second = await hybrid.GetOrCreateAsync("weather:lisbon", Factory);

            // HybridCache writes its L2 in the background after answering: wait for that write (bounded) before closing.
            var l2 = services.GetRequiredService<ISemCacheDistributedCache>();
            for (var i = 0; i < 200 && l2.Count == 0; i++) { await Task.Delay(50); }
            Assert.Equal(1, l2.Count);
        }

        await using (var restarted = Services())
        {
            afterRestart = await restarted.GetRequiredService<HybridCache>().GetOrCreateAsync("weather:lisbon", Factory);
        }

        Assert.Equal(1, calls);
        Assert.Equal("forecast for Lisbon: sunny", first);
        Assert.Equal(first, second);
        Assert.Equal(first, afterRestart);
    }

    [Fact]
    public async Task Set_get_refresh_and_remove_behave_as_IDistributedCache_requires()
    {
        await using var cache = SemCacheDistributedCache.Open(new SemCacheDistributedCacheOptions { DataDirectory = _dir });
        var value = Enumerable.Range(0, 6 * 512 + 7).Select(i => (byte)i).ToArray();

        await cache.SetAsync("blob", value, new DistributedCacheEntryOptions());
        var read = await cache.GetAsync("blob");
        await cache.RefreshAsync("blob");
        await cache.RemoveAsync("blob");

        Assert.Equal(value, read);
        Assert.Null(await cache.GetAsync("blob"));
        Assert.Null(await cache.GetAsync("never-set"));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task Absolute_and_sliding_expiry_follow_the_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var cache = SemCacheDistributedCache.Open(new SemCacheDistributedCacheOptions { Durability = CacheDurability.InMemory }, timeProvider: time);
        await cache.SetAsync("absolute", [1], new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(10) });
        await cache.SetAsync("sliding", [2], new DistributedCacheEntryOptions { SlidingExpiration = TimeSpan.FromMinutes(10) });

        time.Advance(TimeSpan.FromMinutes(8));
        Assert.NotNull(await cache.GetAsync("sliding")); // renews the sliding entry to minute 18
        time.Advance(TimeSpan.FromMinutes(8));

        Assert.Null(await cache.GetAsync("absolute"));
        Assert.Equal([2], await cache.GetAsync("sliding"));
        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(await cache.GetAsync("sliding"));
    }

    [Fact]
    public async Task Keys_beyond_the_bound_remove_the_oldest_written()
    {
        await using var cache = SemCacheDistributedCache.Open(new SemCacheDistributedCacheOptions { Durability = CacheDurability.InMemory, MaxEntries = 3 });

        for (var i = 0; i < 5; i++) { await cache.SetAsync($"k{i}", Encoding.UTF8.GetBytes($"v{i}"), new DistributedCacheEntryOptions()); }

        Assert.Equal(3, cache.Count);
        Assert.Null(await cache.GetAsync("k0"));
        Assert.Null(await cache.GetAsync("k1"));
        Assert.Equal("v4", Encoding.UTF8.GetString((await cache.GetAsync("k4"))!));
    }

    [Fact]
    public async Task Hostile_keys_and_values_are_refused_with_clear_errors_and_change_nothing()
    {
        await using var cache = SemCacheDistributedCache.Open(new SemCacheDistributedCacheOptions { Durability = CacheDurability.InMemory, MaxValueBytes = 16, MaxKeyLength = 8 });

        await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("", [1], new DistributedCacheEntryOptions()));
        var longKey = await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("123456789", [1], new DistributedCacheEntryOptions()));
        var big = await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("k", new byte[17], new DistributedCacheEntryOptions()));
        await Assert.ThrowsAsync<ArgumentException>(() => cache.SetAsync("bad\uD800", [1], new DistributedCacheEntryOptions()));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => cache.SetAsync("k", [1], new DistributedCacheEntryOptions { AbsoluteExpiration = DateTimeOffset.UnixEpoch }));

        Assert.Contains("MaxKeyLength", longKey.Message, StringComparison.Ordinal);
        Assert.Contains("MaxValueBytes", big.Message, StringComparison.Ordinal);
        Assert.Equal(0, cache.Count);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir)) { Directory.Delete(_dir, recursive: true); }
    }

    private ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddSemCacheDistributedCache(o => o.DataDirectory = _dir);
        services.AddHybridCache();
        return services.BuildServiceProvider();
    }
}
