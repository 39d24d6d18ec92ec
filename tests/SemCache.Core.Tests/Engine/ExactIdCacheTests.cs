using SemCache.Engine;
using SemCache.Tests.Storage;
using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class ExactIdCacheTests
{
    [Fact]
    public void The_cache_never_holds_more_slots_than_its_capacity_whatever_the_number_of_keys()
    {
        var cache = new ExactIdCache(capacity: 100);
        for (var i = 0; i < 10_000; i++)
        {
            cache.Set(cache.KeyOf(BitConverter.GetBytes(i)), i + 1);
        }

        // Rounded up to a power of two; 10,000 keys land in at most that many slots.
        Assert.Equal(128, cache.Capacity);
        Assert.InRange(cache.Count, 1, 128);
    }

    [Fact]
    public void A_fill_from_a_read_never_replaces_the_id_a_store_set_for_the_same_key()
    {
        var cache = new ExactIdCache(capacity: 16);
        var key = cache.KeyOf("prompt"u8);

        cache.Set(key, 2);
        cache.Fill(key, 1);

        Assert.True(cache.TryGet(key, out var id));
        Assert.Equal(2, id);
    }

    [Fact]
    public void Two_caches_hash_the_same_bytes_differently_so_nobody_can_aim_at_a_slot()
    {
        var a = new ExactIdCache(capacity: 16);
        var b = new ExactIdCache(capacity: 16);

        Assert.NotEqual(a.KeyOf("same prompt"u8), b.KeyOf("same prompt"u8));
        Assert.Equal(a.KeyOf("same prompt"u8), a.KeyOf("same prompt"u8));
    }

    [Fact]
    public async Task A_stored_answer_that_replaces_another_is_served_at_once_through_the_cache()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "What is the capital of France?", "Paris"));
        var first = await cache.LookupAsync(Lookup("acme", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });

        await cache.StoreAsync(Store("acme", "What is the capital of France?", "Paris, France"));
        var second = await cache.LookupAsync(Lookup("acme", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });

        Assert.Equal("Paris", first.Response);
        Assert.Equal("Paris, France", second.Response);
        Assert.NotEqual(first.EntryId, second.EntryId);
    }

    [Fact]
    public async Task An_invalidated_entry_is_not_served_from_the_cache()
    {
        await using var cache = Create();
        var stored = await cache.StoreAsync(Store("acme", "What is the capital of France?", "Paris"));
        var hit = await cache.LookupAsync(Lookup("acme", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });

        Assert.Equal(1, await cache.InvalidateAsync(CacheInvalidation.ForEntry("acme", stored.EntryId)));
        var after = await cache.LookupAsync(Lookup("acme", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });

        Assert.Equal(CacheHitKind.Exact, hit.Kind);
        Assert.Equal(CacheHitKind.Miss, after.Kind);
    }

    [Fact]
    public async Task A_reopened_engine_fills_the_cache_from_the_store_on_the_first_exact_hit()
    {
        using var directory = new TempDirectory();
        void Configure(SemanticCacheOptions o)
        {
            o.DataDirectory = directory.Path;
            o.Durability = CacheDurability.Durable;
        }

        await using (var first = SemanticCacheEngine.Open(Options(Configure), new BagOfWordsEmbedder(Dims)))
        {
            await first.StoreAsync(Store("acme", "What is the capital of France?", "Paris"));
        }

        await using var reopened = Assert.IsType<SemanticCache>(SemanticCacheEngine.Open(Options(Configure), new BagOfWordsEmbedder(Dims)));
        Assert.Equal(0, reopened.ExactIds.Count);
        var cold = await reopened.LookupAsync(Lookup("acme", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });
        var warm = await reopened.LookupAsync(Lookup("acme", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });

        Assert.Equal(1, reopened.ExactIds.Count);
        Assert.Equal("Paris", cold.Response);
        Assert.Equal("Paris", warm.Response);
        Assert.Equal(cold.EntryId, warm.EntryId);
    }

    [Fact]
    public async Task The_cache_of_one_tenant_never_answers_another_tenants_lookup()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "What is the capital of France?", "Paris"));
        _ = await cache.LookupAsync(Lookup("acme", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });

        var other = await cache.LookupAsync(Lookup("globex", "What is the capital of France?") with { Mode = CacheLookupMode.ExactOnly });

        Assert.Equal(CacheHitKind.Miss, other.Kind);
    }
}
