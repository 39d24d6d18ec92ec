using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class AmbiguityTests
{
    /// <summary>A unit vector at the given cosine from the first axis, leaning towards <paramref name="axis"/>.</summary>
    private static float[] At(float cosine, int axis)
    {
        var v = new float[Dims];
        v[0] = cosine;
        v[axis] = MathF.Sqrt(1 - (cosine * cosine));
        return v;
    }

    private static float[] Query => At(1f, 1);

    private static async Task<SemCache.Engine.SemanticCache> CacheWith(Action<SemanticCacheOptions>? configure, params (string Prompt, string Answer, float Cosine)[] entries)
    {
        var cache = Create(configure);
        var axis = 1;
        foreach (var (prompt, answer, cosine) in entries)
        {
            await cache.StoreAsync(Store("acme", prompt, answer) with { Vector = At(cosine, ++axis) });
        }

        return cache;
    }

    private static CacheLookupRequest Ask(string prompt) => Lookup("acme", prompt) with { Vector = Query };

    [Fact]
    public async Task Two_entries_with_different_answers_matching_about_equally_make_a_miss()
    {
        await using var cache = await CacheWith(
            null,
            ("how do I rotate the api credentials", "Open Settings, then Keys.", 0.95f),
            ("how can the api credentials be rotated", "Call the rotate endpoint.", 0.94f));

        var result = await cache.LookupAsync(Ask("steps to rotate api credentials"));

        Assert.Equal(CacheHitKind.Miss, result.Kind);
        Assert.Contains("veto:ambiguous", result.Reasons);
    }

    [Fact]
    public async Task Close_entries_with_the_same_answer_are_not_ambiguous()
    {
        await using var cache = await CacheWith(
            null,
            ("how do I rotate the api credentials", "Open Settings, then Keys.", 0.95f),
            ("how can the api credentials be rotated", "Open Settings, then Keys.", 0.94f));

        var result = await cache.LookupAsync(Ask("steps to rotate api credentials"));

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Equal("Open Settings, then Keys.", result.Response);
    }

    [Fact]
    public async Task A_runner_up_outside_the_margin_does_not_block_the_best()
    {
        await using var cache = await CacheWith(
            null,
            ("how do I rotate the api credentials", "Open Settings, then Keys.", 0.97f),
            ("how can the api credentials be rotated", "Call the rotate endpoint.", 0.92f));

        var result = await cache.LookupAsync(Ask("steps to rotate api credentials"));

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Equal("Open Settings, then Keys.", result.Response);
    }

    [Fact]
    public async Task A_runner_up_the_verifier_refuses_is_no_rival()
    {
        await using var cache = await CacheWith(
            null,
            ("Please reserve me a table that seats 4 people", "Booked for four.", 0.95f),
            ("Book a table for 6 people", "Booked for six.", 0.945f));

        var result = await cache.LookupAsync(Ask("Book a table for 4 people"));

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Equal("Booked for four.", result.Response);
    }

    [Fact]
    public async Task A_nearer_candidate_refused_on_wording_makes_a_farther_one_ambiguous()
    {
        // The nearer entry is the reverse trip (refused by the word-order rule); falling back to
        // the farther one would let that single refusal choose the answer.
        await using var cache = await CacheWith(
            null,
            ("flights from Florida to New York", "Florida to New York: 9 flights.", 0.97f),
            ("show me flights leaving New York for Florida", "New York to Florida: 12 flights.", 0.92f));

        var result = await cache.LookupAsync(Ask("flights from New York to Florida"));

        Assert.Equal(CacheHitKind.Miss, result.Kind);
        Assert.Contains("veto:order", result.Reasons);
        Assert.Contains("veto:ambiguous", result.Reasons);
    }

    [Fact]
    public async Task A_nearer_candidate_refused_on_a_fact_does_not_block_a_farther_one()
    {
        // A number that differs is a fact the rule reads reliably: the farther entry is served.
        await using var cache = await CacheWith(
            null,
            ("Book a table for 6 people", "Booked for six.", 0.98f),
            ("Please reserve me a table that seats 4 people", "Booked for four.", 0.93f));

        var result = await cache.LookupAsync(Ask("Book a table for 4 people"));

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Equal("Booked for four.", result.Response);
    }

    [Fact]
    public async Task A_zero_margin_turns_the_check_off()
    {
        await using var cache = await CacheWith(
            o => o.AmbiguityMargin = 0,
            ("how do I rotate the api credentials", "Open Settings, then Keys.", 0.95f),
            ("how can the api credentials be rotated", "Call the rotate endpoint.", 0.95f));

        var result = await cache.LookupAsync(Ask("steps to rotate api credentials"));

        Assert.Equal(CacheHitKind.Semantic, result.Kind);
    }

    [Theory]
    [InlineData(-0.01f)]
    [InlineData(1.5f)]
    [InlineData(float.NaN)]
    public void A_margin_out_of_range_fails_at_open_naming_the_option(float margin)
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Create(o => o.AmbiguityMargin = margin));

        Assert.Contains("AmbiguityMargin", e.Message, StringComparison.Ordinal);
    }
}
