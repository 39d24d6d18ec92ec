using Microsoft.Extensions.DependencyInjection;

namespace SemCache.Server.Tests;

/// <summary>
/// The <see cref="ISemanticCache"/> contract, run against the embedded engine and against the
/// .NET client talking to a server over that engine: a service must be able to move between them
/// by changing one registration.
/// </summary>
public abstract class CacheContractTests : IAsyncLifetime
{
    private static readonly CacheScope Scope = new() { Model = "gpt-contract", SystemPrompt = "You are terse." };

    /// <summary>The cache as seen by <paramref name="tenant"/>.</summary>
    protected abstract ISemanticCache For(string tenant);

    public abstract Task InitializeAsync();

    public abstract Task DisposeAsync();

    [Fact]
    public async Task A_stored_answer_is_an_exact_hit_with_its_usage_and_tags()
    {
        var cache = For("alpha");
        var stored = await cache.StoreAsync(Store("alpha", "What is the capital of France?", "Paris", tags: ["geo"]));

        var hit = await cache.LookupAsync(Lookup("alpha", "What is the capital of France?"));

        Assert.Equal(CacheHitKind.Exact, hit.Kind);
        Assert.Equal("Paris", hit.Response);
        Assert.Equal(stored.EntryId, hit.EntryId);
        Assert.Equal(new CacheUsage(120, 40, 0.003), hit.Usage);
        Assert.Equal(["geo"], hit.Tags);
    }

    [Fact]
    public async Task A_lookup_with_the_same_vector_is_a_semantic_hit()
    {
        var cache = For("alpha");
        var vector = TestData.Vector(11);
        await cache.StoreAsync(Store("alpha", "How do I reset my password?", "Use the reset link.", vector));

        var hit = await cache.LookupAsync(Lookup("alpha", prompt: null, vector));

        Assert.Equal(CacheHitKind.Semantic, hit.Kind);
        Assert.Equal("Use the reset link.", hit.Response);
        Assert.True(hit.Similarity > 0.99f);
    }

    [Fact]
    public async Task An_unknown_prompt_is_a_miss()
    {
        var hit = await For("alpha").LookupAsync(Lookup("alpha", "Never asked before"));

        Assert.Equal(CacheHitKind.Miss, hit.Kind);
        Assert.Null(hit.Response);
    }

    [Fact]
    public async Task Another_scope_does_not_see_the_entry()
    {
        var cache = For("alpha");
        await cache.StoreAsync(Store("alpha", "Translate 'cat'", "chat"));

        var hit = await cache.LookupAsync(Lookup("alpha", "Translate 'cat'") with { Scope = Scope with { Model = "another-model" } });

        Assert.Equal(CacheHitKind.Miss, hit.Kind);
    }

    [Fact]
    public async Task Another_tenant_neither_sees_nor_removes_the_entry()
    {
        var vector = TestData.Vector(12);
        var stored = await For("alpha").StoreAsync(Store("alpha", "Our Q3 revenue?", "secret", vector, ["finance"]));
        var beta = For("beta");

        var exact = await beta.LookupAsync(Lookup("beta", "Our Q3 revenue?"));
        var semantic = await beta.LookupAsync(Lookup("beta", prompt: null, vector));
        var removed = await beta.InvalidateAsync(CacheInvalidation.ForTag("beta", "finance"))
            + await beta.InvalidateAsync(CacheInvalidation.ForEntry("beta", stored.EntryId));
        var reported = await beta.ReportHitAsync(new CacheHitFeedback("beta", stored.EntryId, Correct: false));
        var stillThere = await For("alpha").LookupAsync(Lookup("alpha", "Our Q3 revenue?"));

        Assert.Equal(CacheHitKind.Miss, exact.Kind);
        Assert.Equal(CacheHitKind.Miss, semantic.Kind);
        Assert.Equal(0, removed);
        Assert.False(reported);
        Assert.Equal("secret", stillThere.Response);
    }

    [Fact]
    public async Task Storing_the_same_prompt_again_replaces_the_answer()
    {
        var cache = For("alpha");
        await cache.StoreAsync(Store("alpha", "Latest version?", "1.0"));

        var second = await cache.StoreAsync(Store("alpha", "Latest version?", "2.0"));
        var hit = await cache.LookupAsync(Lookup("alpha", "Latest version?"));

        Assert.True(second.Replaced);
        Assert.Equal("2.0", hit.Response);
    }

    [Fact]
    public async Task Invalidation_by_tag_and_by_id_removes_entries()
    {
        var cache = For("alpha");
        await cache.StoreAsync(Store("alpha", "doc one summary", "one", tags: ["doc:1"]));
        var two = await cache.StoreAsync(Store("alpha", "doc two summary", "two", tags: ["doc:2"]));

        var byTag = await cache.InvalidateAsync(CacheInvalidation.ForTag("alpha", "doc:1"));
        var byId = await cache.InvalidateAsync(CacheInvalidation.ForEntry("alpha", two.EntryId));

        Assert.Equal(1, byTag);
        Assert.Equal(1, byId);
        Assert.Equal(CacheHitKind.Miss, (await cache.LookupAsync(Lookup("alpha", "doc one summary"))).Kind);
        Assert.Equal(CacheHitKind.Miss, (await cache.LookupAsync(Lookup("alpha", "doc two summary"))).Kind);
    }

    [Fact]
    public async Task Feedback_on_a_known_entry_is_accepted_and_on_an_unknown_one_is_not()
    {
        var cache = For("alpha");
        var stored = await cache.StoreAsync(Store("alpha", "Is water wet?", "Yes"));

        Assert.True(await cache.ReportHitAsync(new CacheHitFeedback("alpha", stored.EntryId, Correct: true)));
        Assert.False(await cache.ReportHitAsync(new CacheHitFeedback("alpha", stored.EntryId + 1_000_000, Correct: true)));
    }

    [Fact]
    public async Task Stats_count_the_tenants_entries_and_hits()
    {
        var cache = For("gamma");
        await cache.StoreAsync(Store("gamma", "one", "1"));
        await cache.LookupAsync(Lookup("gamma", "one"));
        await cache.LookupAsync(Lookup("gamma", "two"));

        var stats = await cache.GetStatsAsync("gamma");

        Assert.Equal("gamma", stats.Tenant);
        Assert.Equal(1, stats.Entries);
        Assert.Equal(2, stats.Lookups);
        Assert.Equal(1, stats.ExactHits);
        Assert.Equal(0.5, stats.HitRate, 3);
    }

    [Fact]
    public async Task GetOrCreate_runs_the_factory_on_a_miss_and_serves_the_answer_afterwards()
    {
        var cache = For("alpha");
        var calls = 0;
        ValueTask<CacheFill> Factory(CancellationToken _)
        {
            calls++;
            return ValueTask.FromResult(new CacheFill { Response = "computed", Usage = new CacheUsage(10, 5, 0.001) });
        }

        var first = await cache.GetOrCreateAsync(Lookup("alpha", "compute me"), Factory);
        var second = await cache.GetOrCreateAsync(Lookup("alpha", "compute me"), Factory);

        Assert.True(first.Created);
        Assert.False(second.Created);
        Assert.Equal(CacheHitKind.Exact, second.Lookup.Kind);
        Assert.Equal("computed", second.Lookup.Response);
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task An_invalid_request_is_an_ArgumentException()
    {
        var cache = For("alpha");

        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.LookupAsync(Lookup("alpha", "x") with { Scope = new CacheScope { Model = string.Empty } }));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cache.LookupAsync(Lookup("alpha", null, new float[ServerHost.Dimensions + 3])));
    }

    // Without an embedder every request brings its vector: a fixed one per prompt text.
    private static CacheStoreRequest Store(string tenant, string prompt, string response, float[]? vector = null, string[]? tags = null) => new()
    {
        Tenant = tenant,
        Scope = Scope,
        Prompt = prompt,
        Response = response,
        Vector = vector ?? VectorOf(prompt),
        Tags = tags,
        Usage = new CacheUsage(120, 40, 0.003),
    };

    private static CacheLookupRequest Lookup(string tenant, string? prompt, float[]? vector = null) => new()
    {
        Tenant = tenant,
        Scope = Scope,
        Prompt = prompt,
        Vector = vector ?? VectorOf(prompt!),
    };

    private static float[] VectorOf(string prompt)
    {
        var hash = 17;
        foreach (var c in prompt)
        {
            hash = unchecked((hash * 31) + c);
        }

        return TestData.Vector(hash);
    }
}

/// <summary>The contract against the embedded engine.</summary>
public sealed class EmbeddedEngineContractTests : CacheContractTests
{
    private ServiceProvider? _services;

    protected override ISemanticCache For(string tenant) => _services!.GetRequiredService<ISemanticCache>();

    public override Task InitializeAsync()
    {
        var services = new ServiceCollection();
        services.AddSemanticCache(options =>
        {
            options.Durability = CacheDurability.InMemory;
            options.Dimensions = ServerHost.Dimensions;
            options.RequestsBringVectors = true;
        });
        _services = services.BuildServiceProvider();
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync() => await _services!.DisposeAsync();
}

/// <summary>The contract against the .NET client, through the server, over the same engine.</summary>
public sealed class ClientOverServerContractTests : CacheContractTests
{
    private readonly Dictionary<string, ISemanticCache> _clients = new(StringComparer.Ordinal);
    private ServerHost? _host;

    protected override ISemanticCache For(string tenant) => _clients[tenant];

    public override async Task InitializeAsync()
    {
        _host = await ServerHost.StartAsync(engine: true);
        foreach (var tenant in new[] { "alpha", "beta", "gamma" })
        {
            _clients[tenant] = _host.ClientFor(await _host.CreateKeyAsync(tenant, Grpc.V1.Role.Write));
        }
    }

    public override async Task DisposeAsync() => await _host!.DisposeAsync();
}
