using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class SeveralAnswersTests
{
    private static readonly CacheScope Sampled = Scope with { Sampling = new CacheSampling { Temperature = 0.8f } };
    private static readonly CacheScope Greedy = Scope with { Sampling = new CacheSampling { Temperature = 0f } };

    private static async Task StoreAnswers(ISemanticCache cache, CacheScope scope, params string[] answers)
    {
        foreach (var answer in answers)
        {
            await cache.StoreAsync(Store("acme", "write a haiku about autumn", answer, scope));
        }
    }

    private static async Task<HashSet<string>> Served(ISemanticCache cache, CacheScope scope, string prompt, int lookups)
    {
        var served = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < lookups; i++)
        {
            var result = await cache.LookupAsync(Lookup("acme", prompt, scope));
            Assert.True(result.IsHit);
            served.Add(result.Response!);
        }

        return served;
    }

    [Fact]
    public async Task A_sampled_prompt_keeps_the_newest_answers_up_to_the_limit_and_serves_each_of_them()
    {
        await using var cache = Create(o => { o.MaxAnswersPerPrompt = 3; o.AnswerSelection = CacheAnswerSelection.RoundRobin; });
        await StoreAnswers(cache, Sampled, "one", "two", "three", "four");

        // Round robin over three answers: three lookups see each once; "one" fell out as the oldest.
        Assert.Equal(["four", "three", "two"], (await Served(cache, Sampled, "write a haiku about autumn", 3)).Order(StringComparer.Ordinal));
        Assert.Equal(1, (await cache.GetStatsAsync("acme")).Entries);
    }

    [Fact]
    public async Task Semantic_hits_also_choose_among_the_kept_answers()
    {
        await using var cache = Create(o => { o.MaxAnswersPerPrompt = 2; o.AnswerSelection = CacheAnswerSelection.RoundRobin; });
        await StoreAnswers(cache, Sampled, "first", "second");

        var result = await cache.LookupAsync(Lookup("acme", "a haiku about autumn write", Sampled));

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Contains(result.Reasons, r => r.StartsWith("answer:", StringComparison.Ordinal) && r.EndsWith("/2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Random_selection_serves_more_than_one_answer()
    {
        await using var cache = Create(o => o.MaxAnswersPerPrompt = 4);
        await StoreAnswers(cache, Sampled, "a", "b", "c", "d");

        // 64 uniform draws from 4 answers all landing on one has probability 4 * 4^-64.
        Assert.True((await Served(cache, Sampled, "write a haiku about autumn", 64)).Count > 1);
    }

    [Fact]
    public async Task Newest_selection_always_serves_the_latest_answer()
    {
        await using var cache = Create(o => { o.MaxAnswersPerPrompt = 4; o.AnswerSelection = CacheAnswerSelection.Newest; });
        await StoreAnswers(cache, Sampled, "a", "b", "c");

        Assert.Equal(["c"], await Served(cache, Sampled, "write a haiku about autumn", 8));
    }

    [Fact]
    public async Task Deterministic_requests_keep_one_answer_even_when_several_are_allowed()
    {
        await using var cache = Create(o => { o.MaxAnswersPerPrompt = 4; o.AnswerSelection = CacheAnswerSelection.RoundRobin; });
        await StoreAnswers(cache, Greedy, "a", "b");
        await StoreAnswers(cache, Scope, "x", "y");

        Assert.Equal(["b"], await Served(cache, Greedy, "write a haiku about autumn", 4));
        Assert.Equal(["y"], await Served(cache, Scope, "write a haiku about autumn", 4));
    }

    [Fact]
    public async Task With_the_default_limit_a_sampled_store_replaces_the_answer()
    {
        await using var cache = Create(o => o.AnswerSelection = CacheAnswerSelection.RoundRobin);
        await StoreAnswers(cache, Sampled, "a", "b");

        Assert.Equal(["b"], await Served(cache, Sampled, "write a haiku about autumn", 4));
    }

    [Fact]
    public async Task Kept_answers_survive_a_restart()
    {
        var directory = Directory.CreateTempSubdirectory("semcache-answers-");
        try
        {
            void Configure(SemanticCacheOptions o)
            {
                o.DataDirectory = directory.FullName;
                o.Durability = CacheDurability.Durable;
                o.MaxAnswersPerPrompt = 3;
                o.AnswerSelection = CacheAnswerSelection.RoundRobin;
            }

            await using (var cache = SemanticCacheEngine.Open(Options(Configure), new BagOfWordsEmbedder(Dims)))
            {
                await StoreAnswers(cache, Sampled, "one", "two", "three");
            }

            await using var reopened = SemanticCacheEngine.Open(Options(Configure), new BagOfWordsEmbedder(Dims));
            Assert.Equal(["one", "three", "two"], (await Served(reopened, Sampled, "write a haiku about autumn", 3)).Order(StringComparer.Ordinal));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void An_answer_limit_out_of_range_fails_at_open_naming_the_option(int limit)
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Create(o => o.MaxAnswersPerPrompt = limit));

        Assert.Contains("MaxAnswersPerPrompt", e.Message, StringComparison.Ordinal);
    }
}
