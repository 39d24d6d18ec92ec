using SemCache.Vectors;
using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class BatchLookupTests
{
    private static readonly string[] Topics =
        ["refund", "invoice", "password", "shipping", "warranty", "login", "upgrade", "cancel", "address", "discount"];

    private static readonly string[] Verbs = ["reset", "change", "track", "request", "find", "update"];

    /// <summary>Counts its calls and hands them to the engine's CPU scorer, to show the batch path scored together.</summary>
    private sealed class CountingScorer : IBatchSimilarityScorer
    {
        public int Calls;
        public int Queries;

        public string Accelerator => "counting-cpu";

        public long DeviceBytes => 0;

        public void Score(VectorMatrix matrix, ReadOnlySpan<float> queries, int queryCount, Span<ScoredRow> results, Span<int> counts)
        {
            Interlocked.Increment(ref Calls);
            Interlocked.Add(ref Queries, queryCount);
            BatchSimilarityScorers.Cpu.Score(matrix, queries, queryCount, results, counts);
        }
    }

    private static string Prompt(Random random) =>
        $"how do I {Verbs[random.Next(Verbs.Length)]} my {Topics[random.Next(Topics.Length)]} {(random.Next(3) == 0 ? $"for order {random.Next(5)}" : "today")}";

    private static CacheScope ScopeOf(int i) => new() { Model = i % 3 == 0 ? "gpt-a" : "gpt-b", SystemPrompt = "You are helpful." };

    /// <summary>
    /// Two tenants, two scopes, entries with overlapping words (semantic hits, verifier vetoes on
    /// numbers, ambiguity between entries that answer differently), and one partition past the
    /// flat limit so the graph path is in the batch as well.
    /// </summary>
    private static async Task<(SemCache.Engine.SemanticCache Cache, CountingScorer Scorer, BagOfWordsEmbedder Embedder)> FilledCacheAsync()
    {
        var scorer = new CountingScorer();
        var embedder = new BagOfWordsEmbedder(Dims);
        var options = Options(o =>
        {
            o.FlatSearchLimit = 150;
            o.SimilarityThreshold = 0.8f;
        });
        var cache = new SemCache.Engine.SemanticCache(options, SmallStore(), embedder, batchScorer: scorer);
        var random = new Random(11);
        var stored = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 400; i++)
        {
            var prompt = Prompt(random);
            if (!stored.Add(prompt)) { continue; }

            // Most answers are shared by several prompts (so near matches agree), some differ (ambiguity).
            var answer = $"answer {prompt.Split(' ')[4]} {(random.Next(4) == 0 ? random.Next(100) : 0)}";
            var tenant = i % 5 == 0 ? "globex" : "acme";
            await cache.StoreAsync(Store(tenant, prompt, answer, ScopeOf(i)));
        }

        return (cache, scorer, embedder);
    }

    private static List<CacheLookupRequest> Lookups(int count)
    {
        var random = new Random(12);
        var lookups = new List<CacheLookupRequest>(count);
        for (var i = 0; i < count; i++)
        {
            var tenant = i % 7 == 0 ? "globex" : i % 31 == 0 ? "nobody" : "acme";
            lookups.Add(Lookup(tenant, Prompt(random), ScopeOf(random.Next(3))));
        }

        return lookups;
    }

    [Fact]
    public async Task A_batch_of_1000_prompts_returns_the_same_results_as_1000_single_lookups()
    {
        var (cache, scorer, _) = await FilledCacheAsync();
        await using var _ = cache;
        var lookups = Lookups(1000);

        var single = new List<CacheLookupResult>();
        foreach (var l in lookups) { single.Add(await cache.LookupAsync(l)); }
        var batch = await cache.LookupBatchAsync(lookups);

        Assert.Equal(single.Count, batch.Count);
        for (var i = 0; i < single.Count; i++)
        {
            Assert.Equal(single[i].Kind, batch[i].Kind);
            Assert.Equal(single[i].EntryId, batch[i].EntryId);
            Assert.Equal(single[i].Response, batch[i].Response);
            Assert.Equal(single[i].Similarity, batch[i].Similarity);
            Assert.Equal(single[i].Reasons, batch[i].Reasons);
        }

        // The comparison means something only if every kind of answer is in it and the scorer ran.
        Assert.Contains(batch, r => r.Kind == CacheHitKind.Exact);
        Assert.Contains(batch, r => r.Kind == CacheHitKind.Semantic);
        Assert.Contains(batch, r => r.Kind == CacheHitKind.Miss && r.Reasons.Contains("veto:ambiguous"));
        Assert.Contains(batch, r => r.Kind == CacheHitKind.Miss && r.Reasons.Any(x => x.StartsWith("veto:", StringComparison.Ordinal) && x != "veto:ambiguous"));
        Assert.True(scorer.Calls > 0 && scorer.Queries > 100, $"the batch scorer saw {scorer.Calls} calls with {scorer.Queries} queries");
    }

    [Fact]
    public async Task An_engine_opened_asynchronously_scores_batches_with_the_scorer_it_was_given()
    {
        var scorer = new CountingScorer();
        await using var cache = await SemanticCacheEngine.OpenAsync(Options(), new BagOfWordsEmbedder(Dims), batchScorer: scorer);
        await cache.StoreAsync(Store("acme", "how do I reset my password today", "Use the reset link."));

        var results = await cache.LookupBatchAsync([Lookup("acme", "how do I change my password today"), Lookup("acme", "how do I track my refund today")]);

        Assert.Equal(2, results.Count);
        Assert.True(scorer.Calls > 0, "OpenAsync dropped the batch scorer: the batch was scored without it");
    }

    [Fact]
    public async Task A_batch_embeds_its_prompts_in_batches_through_the_embedder()
    {
        var (cache, _, embedder) = await FilledCacheAsync();
        await using var _ = cache;
        var before = embedder.Calls;

        await cache.LookupBatchAsync(Lookups(1000));

        // Exact hits need no embedding; the rest go 256 to a call.
        var calls = embedder.Calls - before;
        Assert.InRange(calls, 1, (1000 + SemCache.Engine.SemanticCache.BatchEmbedSize - 1) / SemCache.Engine.SemanticCache.BatchEmbedSize);
    }

    [Fact]
    public async Task A_batch_with_one_invalid_request_is_refused_whole_naming_its_position()
    {
        var (cache, _, _) = await FilledCacheAsync();
        await using var _ = cache;
        var lookups = Lookups(5);
        lookups[3] = lookups[3] with { Prompt = null };
        var lookupsBefore = (await cache.GetStatsAsync(null)).Lookups;

        var e = await Assert.ThrowsAsync<ArgumentException>(async () => await cache.LookupBatchAsync(lookups));

        Assert.StartsWith("requests[3]", e.ParamName, StringComparison.Ordinal);
        Assert.Equal(lookupsBefore, (await cache.GetStatsAsync(null)).Lookups);
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.LookupBatchAsync(null!));
    }

    [Fact]
    public async Task An_empty_batch_answers_nothing_and_stats_name_the_batch_accelerator()
    {
        var (cache, _, _) = await FilledCacheAsync();
        await using var _ = cache;

        Assert.Empty(await cache.LookupBatchAsync([]));
        Assert.Equal("counting-cpu", (await cache.GetStatsAsync(null)).BatchAccelerator);

        await using var plain = Create();
        Assert.Equal("cpu", (await plain.GetStatsAsync("acme")).BatchAccelerator);
    }
}
