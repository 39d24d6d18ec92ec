using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class ValidationTests
{
    public static TheoryData<string, Func<CacheStoreRequest, CacheStoreRequest>> BadStores => new()
    {
        { "Prompt", r => r with { Prompt = "" } },
        { "Prompt", r => r with { Prompt = "   \t " } },
        { "Prompt", r => r with { Prompt = new string('x', 40_000) } },
        { "Prompt", r => r with { Prompt = "bad \ud800 surrogate" } },
        { "Response", r => r with { Response = null! } },
        { "Vector", r => r with { Vector = new float[Dims + 1] } },
        { "Vector", r => r with { Vector = Enumerable.Repeat(float.NaN, Dims).ToArray() } },
        { "Vector", r => r with { Vector = Enumerable.Repeat(float.PositiveInfinity, Dims).ToArray() } },
        { "Vector", r => r with { Vector = new float[Dims] } },
        { "TimeToLive", r => r with { TimeToLive = TimeSpan.FromSeconds(-1) } },
        { "TimeToLive", r => r with { TimeToLive = TimeSpan.Zero } },
        { "Tenant", r => r with { Tenant = "" } },
        { "Tenant", r => r with { Tenant = "has space" } },
        { "Tenant", r => r with { Tenant = new string('t', 200) } },
        { "Scope.Model", r => r with { Scope = Scope with { Model = "" } } },
        { "Scope.Sampling.Temperature", r => r with { Scope = Scope with { Sampling = new CacheSampling { Temperature = float.NaN } } } },
        { "Scope.Sampling.TopP", r => r with { Scope = Scope with { Sampling = new CacheSampling { TopP = 2 } } } },
        { "Tags", r => r with { Tags = [""] } },
        { "Tags", r => r with { Tags = Enumerable.Range(0, 100).Select(i => $"t{i}").ToArray() } },
        { "Usage.Cost", r => r with { Usage = new CacheUsage(1, 1, double.NaN) } },
        { "Usage.InputTokens", r => r with { Usage = new CacheUsage(-1, 1, 0) } },
        { "Context.Role", r => r with { Context = [new ConversationTurn("", "hi")] } },
    };

    [Theory]
    [MemberData(nameof(BadStores))]
    public async Task A_bad_store_names_the_field_and_changes_nothing(string field, Func<CacheStoreRequest, CacheStoreRequest> corrupt)
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "capital of France", "Paris"));
        var before = await cache.GetStatsAsync("acme");

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.StoreAsync(corrupt(Store("acme", "capital of Spain", "Madrid"))));

        Assert.Equal(field, e.ParamName);
        Assert.Contains(field.Split('.')[^1], e.Message, StringComparison.Ordinal);
        var after = await cache.GetStatsAsync("acme");
        Assert.Equal(before.Entries, after.Entries);
        Assert.Equal(before.Bytes, after.Bytes);
        Assert.Equal("Paris", (await cache.LookupAsync(Lookup("acme", "capital of France"))).Response);
    }

    public static TheoryData<string, Func<CacheLookupRequest, CacheLookupRequest>> BadLookups => new()
    {
        { "Prompt", r => r with { Prompt = null } },
        { "Prompt", r => r with { Prompt = "" } },
        { "Vector", r => r with { Vector = new float[3] } },
        { "Vector", r => r with { Vector = new float[Dims] } },
        { "MinSimilarity", r => r with { MinSimilarity = 1.5f } },
        { "MaxAge", r => r with { MaxAge = TimeSpan.FromSeconds(-5) } },
        { "Mode", r => r with { Mode = (CacheLookupMode)42 } },
        { "Scope", r => r with { Scope = null! } },
    };

    [Theory]
    [MemberData(nameof(BadLookups))]
    public async Task A_bad_lookup_names_the_field(string field, Func<CacheLookupRequest, CacheLookupRequest> corrupt)
    {
        await using var cache = Create();

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.LookupAsync(corrupt(Lookup("acme", "capital of France"))));

        Assert.Equal(field, e.ParamName);
    }

    [Fact]
    public async Task Invalidating_an_unknown_tenant_is_an_argument_error_naming_the_tenant()
    {
        await using var cache = Create();

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.InvalidateAsync(CacheInvalidation.ForTenant("never-seen")));

        Assert.Equal("Tenant", e.ParamName);
        Assert.Contains("never-seen", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_null_request_is_an_ArgumentNullException()
    {
        await using var cache = Create();

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.LookupAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.StoreAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(async () => await cache.InvalidateAsync(null!));
    }

    [Fact]
    public void Invalid_options_fail_at_open_naming_the_option()
    {
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => Create(o => o.SimilarityThreshold = 1.5f));

        Assert.Contains("SimilarityThreshold", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_embedder_the_engine_refuses_to_start_unless_requests_bring_vectors()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new SemCache.Engine.SemanticCache(Options(), SmallStore(), embedder: null));
        Assert.Contains("RequestsBringVectors", e.Message, StringComparison.Ordinal);

        using var vectorsOnly = new SemCache.Engine.SemanticCache(Options(o => o.RequestsBringVectors = true), SmallStore(), embedder: null);
        Assert.NotNull(vectorsOnly);
    }
}
