using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class LookupAndStoreTests
{
    [Fact]
    public async Task A_stored_prompt_is_an_exact_hit_with_its_response_and_usage()
    {
        await using var cache = Create();
        var stored = await cache.StoreAsync(Store("acme", "What is the capital of France?", "Paris") with { Usage = new CacheUsage(10, 5, 0.002), Tags = ["geo"] });

        var result = await cache.LookupAsync(Lookup("acme", "What is the capital of France?"));

        Assert.Equal(CacheHitKind.Exact, result.Kind);
        Assert.Equal("Paris", result.Response);
        Assert.Equal(stored.EntryId, result.EntryId);
        Assert.Equal(1f, result.Similarity);
        Assert.Equal(new CacheUsage(10, 5, 0.002), result.Usage);
        Assert.Equal(["geo"], result.Tags);
    }

    [Fact]
    public async Task Exact_layer_ignores_white_space_runs_and_unicode_composition()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "Caf\u00e9   menu\tplease", "r"));

        var result = await cache.LookupAsync(Lookup("acme", "  Cafe\u0301 menu please ") with { Mode = CacheLookupMode.ExactOnly });

        Assert.Equal(CacheHitKind.Exact, result.Kind);
    }

    [Fact]
    public async Task A_reworded_prompt_with_the_same_words_is_a_semantic_hit()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "capital of France is what", "Paris"));

        var result = await cache.LookupAsync(Lookup("acme", "what is capital of France"));

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Equal("Paris", result.Response);
        Assert.InRange(result.Similarity, 0.9f, 1.0001f);
        Assert.Contains(result.Reasons, r => r.StartsWith("similarity:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unrelated_prompt_is_a_miss_that_reports_the_best_similarity()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "capital of France", "Paris"));

        var result = await cache.LookupAsync(Lookup("acme", "how do I bake bread"));

        Assert.Equal(CacheHitKind.Miss, result.Kind);
        Assert.Null(result.Response);
        Assert.True(result.Similarity < 0.9f);
    }

    [Fact]
    public async Task Exact_only_lookups_never_return_semantic_hits()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "capital of France is what", "Paris"));

        var result = await cache.LookupAsync(Lookup("acme", "what is capital of France") with { Mode = CacheLookupMode.ExactOnly });

        Assert.Equal(CacheHitKind.Miss, result.Kind);
    }

    [Fact]
    public async Task A_different_model_system_prompt_tools_or_sampling_never_matches()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "capital of France", "Paris"));
        CacheScope[] others =
        [
            Scope with { Model = "other-model" },
            Scope with { SystemPrompt = "You are terse." },
            Scope with { Tools = ["search"] },
            Scope with { Sampling = new CacheSampling { Temperature = 0.7f } },
            Scope with { Extra = new Dictionary<string, string> { ["locale"] = "fr" } },
        ];

        foreach (var scope in others)
        {
            var result = await cache.LookupAsync(Lookup("acme", "capital of France", scope));
            Assert.Equal(CacheHitKind.Miss, result.Kind);
        }
    }

    [Fact]
    public async Task Tool_order_and_extra_key_order_do_not_change_the_scope()
    {
        await using var cache = Create();
        var a = Scope with { Tools = ["search", "calc"], Extra = new Dictionary<string, string> { ["x"] = "1", ["y"] = "2" } };
        var b = Scope with { Tools = ["calc", "search"], Extra = new Dictionary<string, string> { ["y"] = "2", ["x"] = "1" } };
        await cache.StoreAsync(Store("acme", "capital of France", "Paris", a));

        var result = await cache.LookupAsync(Lookup("acme", "capital of France", b));

        Assert.Equal(CacheHitKind.Exact, result.Kind);
    }

    [Fact]
    public async Task Storing_the_same_prompt_again_replaces_the_answer()
    {
        await using var cache = Create();
        var first = await cache.StoreAsync(Store("acme", "capital of France", "Lyon"));
        var second = await cache.StoreAsync(Store("acme", "capital of France", "Paris"));

        var result = await cache.LookupAsync(Lookup("acme", "capital of France"));
        var stats = await cache.GetStatsAsync("acme");

        Assert.False(first.Replaced);
        Assert.True(second.Replaced);
        Assert.True(second.EntryId > first.EntryId);
        Assert.Equal("Paris", result.Response);
        Assert.Equal(1, stats.Entries);
    }

    [Fact]
    public async Task A_follow_up_matches_only_under_the_same_conversation_context()
    {
        await using var cache = Create();
        ConversationTurn[] java = [new("user", "How do I read a file in Java?"), new("assistant", "Use Files.readString.")];
        ConversationTurn[] go = [new("user", "How do I read a file in Go?"), new("assistant", "Use os.ReadFile.")];
        await cache.StoreAsync(Store("acme", "and in Python?", "Python after Java") with { Context = java });
        await cache.StoreAsync(Store("acme", "and in Python?", "Python after Go") with { Context = go });

        var afterJava = await cache.LookupAsync(Lookup("acme", "and in Python?") with { Context = java });
        var afterGo = await cache.LookupAsync(Lookup("acme", "and in Python?") with { Context = go });
        var noContext = await cache.LookupAsync(Lookup("acme", "and in Python?"));

        Assert.Equal("Python after Java", afterJava.Response);
        Assert.Equal("Python after Go", afterGo.Response);
        Assert.NotEqual(afterJava.EntryId, afterGo.EntryId);
        Assert.Equal(CacheHitKind.Miss, noContext.Kind);
    }

    [Fact]
    public async Task A_lookup_with_only_a_vector_finds_the_entry()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "capital of France", "Paris"));

        var vector = BagOfWordsEmbedder.Embed("capital of France", Dims);
        var result = await cache.LookupAsync(new CacheLookupRequest { Tenant = "acme", Scope = Scope, Vector = vector });

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Contains("verifier:skipped-no-prompt", result.Reasons);
    }

    [Fact]
    public async Task MaxAge_refuses_entries_older_than_asked()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(50));
        await using var cache = Create(time: time);
        await cache.StoreAsync(Store("acme", "capital of France", "Paris"));
        time.Advance(TimeSpan.FromMinutes(10));

        var fresh = await cache.LookupAsync(Lookup("acme", "capital of France") with { MaxAge = TimeSpan.FromMinutes(5) });
        var old = await cache.LookupAsync(Lookup("acme", "capital of France") with { MaxAge = TimeSpan.FromHours(1) });

        Assert.Equal(CacheHitKind.Miss, fresh.Kind);
        Assert.Equal(CacheHitKind.Exact, old.Kind);
        Assert.Equal(TimeSpan.FromMinutes(10), old.Age);
    }

    [Fact]
    public async Task Stats_count_lookups_hits_and_savings()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "capital of France", "Paris") with { Usage = new CacheUsage(100, 50, 0.25) });
        await cache.LookupAsync(Lookup("acme", "capital of France"));
        await cache.LookupAsync(Lookup("acme", "France capital of"));
        await cache.LookupAsync(Lookup("acme", "bake bread"));

        var stats = await cache.GetStatsAsync("acme");

        Assert.Equal(3, stats.Lookups);
        Assert.Equal(1, stats.ExactHits);
        Assert.Equal(1, stats.SemanticHits);
        Assert.Equal(1, stats.Misses);
        Assert.Equal(300, stats.TokensSaved);
        Assert.Equal(0.5, stats.CostSaved, 6);
        Assert.Equal(1, stats.Entries);
        Assert.True(stats.Bytes > 0);
        Assert.Equal(2.0 / 3, stats.HitRate, 6);
    }
}
