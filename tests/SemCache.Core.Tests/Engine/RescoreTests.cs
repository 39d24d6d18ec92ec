using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class RescoreTests
{
    private const string StoredPrompt = "how do green plants turn sunlight into food";
    private const string QueryPrompt = "explain the process that lets leaves make sugar from light";

    /// <summary>A re-scorer with a fixed answer that records what it was asked.</summary>
    private sealed class FixedRescorer(float score, Exception? failure = null) : ICandidateRescorer
    {
        public List<(string Query, string Candidate)> Calls { get; } = [];

        public ValueTask<float[]> ScoreAsync(string query, IReadOnlyList<string> candidates, CancellationToken cancellationToken = default)
        {
            lock (Calls) { Calls.AddRange(candidates.Select(c => (query, c))); }
            if (failure is not null) { throw failure; }
            return ValueTask.FromResult(candidates.Select(_ => score).ToArray());
        }
    }

    /// <summary>A unit vector at the given cosine from the first axis, so similarities are exact.</summary>
    private static float[] At(float cosine)
    {
        var v = new float[Dims];
        v[0] = cosine;
        v[1] = MathF.Sqrt(1 - (cosine * cosine));
        return v;
    }

    private static async Task<(SemCache.Engine.SemanticCache Cache, FixedRescorer Rescorer)> CacheWithEntry(FixedRescorer rescorer)
    {
        var cache = new SemCache.Engine.SemanticCache(Options(), SmallStore(), new BagOfWordsEmbedder(Dims), rescorer: rescorer);
        await cache.StoreAsync(Store("acme", StoredPrompt, "photosynthesis") with { Vector = At(1f) });
        return (cache, rescorer);
    }

    private static CacheLookupRequest Query(float cosine) => Lookup("acme", QueryPrompt) with { Vector = At(cosine) };

    [Fact]
    public async Task A_borderline_candidate_the_rescorer_rejects_is_a_miss_with_its_veto()
    {
        var (cache, rescorer) = await CacheWithEntry(new FixedRescorer(0.2f));
        await using var _ = cache;

        var result = await cache.LookupAsync(Query(0.92f));

        Assert.Equal(CacheHitKind.Miss, result.Kind);
        Assert.Contains("veto:rescore", result.Reasons);
        Assert.Equal([(QueryPrompt, StoredPrompt)], rescorer.Calls);
    }

    [Fact]
    public async Task A_borderline_candidate_the_rescorer_accepts_is_served_with_its_score()
    {
        var (cache, _) = await CacheWithEntry(new FixedRescorer(0.875f));
        await using var __ = cache;

        var result = await cache.LookupAsync(Query(0.92f));

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Equal("photosynthesis", result.Response);
        Assert.Contains("rescore:0.875", result.Reasons);
    }

    [Fact]
    public async Task A_candidate_above_the_borderline_band_is_served_without_rescoring()
    {
        var (cache, rescorer) = await CacheWithEntry(new FixedRescorer(0f));
        await using var _ = cache;

        // Threshold 0.90 + default band 0.05: 0.97 is clear of the band.
        var result = await cache.LookupAsync(Query(0.97f));

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Empty(rescorer.Calls);
    }

    [Fact]
    public async Task A_failing_rescorer_turns_borderline_candidates_into_misses_without_failing_the_lookup()
    {
        var (cache, _) = await CacheWithEntry(new FixedRescorer(1f, new InvalidOperationException("model crashed")));
        await using var __ = cache;

        var borderline = await cache.LookupAsync(Query(0.92f));
        var clear = await cache.LookupAsync(Query(0.97f));

        Assert.Equal(CacheHitKind.Miss, borderline.Kind);
        Assert.Contains("veto:rescore-failed", borderline.Reasons);
        Assert.Equal(CacheHitKind.Semantic, clear.Kind);
    }

    [Fact]
    public async Task Lookups_below_the_threshold_never_reach_the_rescorer()
    {
        var (cache, rescorer) = await CacheWithEntry(new FixedRescorer(1f));
        await using var _ = cache;

        var result = await cache.LookupAsync(Query(0.85f));

        Assert.Equal(CacheHitKind.Miss, result.Kind);
        Assert.Empty(rescorer.Calls);
    }

    [Theory]
    [InlineData("RescoreBand", -0.1f)]
    [InlineData("RescoreBand", 1.5f)]
    [InlineData("RescoreMinScore", float.NaN)]
    [InlineData("RescoreMinScore", 2f)]
    public void Rescore_options_out_of_range_fail_at_open_naming_the_option(string option, float value)
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Create(o =>
        {
            if (option == "RescoreBand") { o.RescoreBand = value; } else { o.RescoreMinScore = value; }
        }));

        Assert.Contains(option, e.Message, StringComparison.Ordinal);
    }
}
