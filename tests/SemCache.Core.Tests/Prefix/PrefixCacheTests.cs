using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using SemCache.Prefix;

namespace SemCache.Tests.Prefix;

public sealed class PrefixCacheTests : IDisposable
{
    private readonly List<string> _directories = [];

    private static readonly PrefixBackend Engine = new() { Id = "vllm-0", Tokenizer = PrefixTokenizers.Caller, BlockSize = 16 };

    public void Dispose()
    {
        foreach (var directory in _directories) { Directory.Delete(directory, recursive: true); }
    }

    private string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "semcache-prefix-" + Guid.NewGuid().ToString("N"));
        _directories.Add(path);
        return path;
    }

    /// <summary>Events as the server's client stream delivers them: one at a time, asynchronously.</summary>
    internal static async IAsyncEnumerable<KvEvent> Stream(params KvEvent[] events)
    {
        foreach (var e in events)
        {
            await Task.Yield();
            yield return e;
        }
    }

    private static PrefixCache Open(PrefixCacheOptions? options = null, string? directory = null, TimeProvider? time = null) =>
        new(options ?? new PrefixCacheOptions { Secret = "test-secret" }, directory, PricingTable.Default, time);

    private static int[] Tokens(int seed, int count)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.Next(0, 100_000)).ToArray();
    }

    private static async Task<PrefixBackendMatch> MatchOne(PrefixCache cache, string tenant, int[] tokens, string backend = "vllm-0")
    {
        var result = await cache.MatchAsync(new PrefixMatchRequest { Tenant = tenant, Prompt = PrefixPrompt.FromTokens(tokens), Candidates = [new PrefixCandidate(backend)] });
        return Assert.Single(result.Backends);
    }

    [Fact]
    public async Task Same_tenant_matches_a_routed_prompt_and_another_tenant_matches_nothing_of_the_identical_prompt()
    {
        using var cache = Open();
        var prompt = Tokens(1, 100);
        await cache.RegisterBackendAsync("acme", Engine);
        await cache.RegisterBackendAsync("globex", Engine);
        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt) });

        Assert.Equal(96, (await MatchOne(cache, "acme", prompt)).MatchedTokens);
        Assert.Equal(0, (await MatchOne(cache, "globex", prompt)).MatchedTokens);

        // The same engine's events under the other tenant's name do not leak either: keys differ by tenant salt.
        Assert.Empty(cache.HeldKeys("acme", "vllm-0").Intersect(cache.HeldKeys("globex", "vllm-0")));
    }

    [Fact]
    public async Task Tenants_an_administrator_puts_in_one_shared_group_match_each_others_prompts()
    {
        var options = new PrefixCacheOptions { Secret = "test-secret" };
        options.SharedPrefixGroups["acme"] = "public-docs";
        options.SharedPrefixGroups["initech"] = "public-docs";
        using var cache = Open(options);
        var prompt = Tokens(2, 64);
        foreach (var tenant in new[] { "acme", "initech", "globex" }) { await cache.RegisterBackendAsync(tenant, Engine); }
        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt) });
        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "globex", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(Tokens(3, 64)) });

        // initech has no history of its own, yet its registry is separate: seeds are shared, holdings are not.
        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "initech", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt) });
        Assert.Equal(cache.HeldKeys("acme", "vllm-0").Order(), cache.HeldKeys("initech", "vllm-0").Order());
        Assert.Empty(cache.HeldKeys("acme", "vllm-0").Intersect(cache.HeldKeys("globex", "vllm-0")));
    }

    [Fact]
    public async Task Replaying_a_vllm_style_event_stream_with_children_before_parents_builds_the_same_holdings_as_in_order()
    {
        // Synthetic engine traffic: 40 requests over 8 shared system prompts, each stored as events of a few blocks
        // chained to the previous event's last block, then some evictions.
        var random = new Random(21);
        var stores = new List<KvEvent>();
        ulong nextHash = 1000;
        var systemPrompts = Enumerable.Range(0, 8).Select(i => Tokens(100 + i, 48)).ToArray();
        var systemHashes = new ulong[8][];
        for (var s = 0; s < 8; s++)
        {
            systemHashes[s] = [nextHash++, nextHash++, nextHash++];
            stores.Add(new KvEvent { Kind = KvEventKind.BlockStored, BlockHashes = systemHashes[s], TokenIds = systemPrompts[s] });
        }

        var allHashes = new List<ulong>();
        for (var r = 0; r < 40; r++)
        {
            var parent = systemHashes[random.Next(8)][^1];
            for (var chunk = 0; chunk < 3; chunk++)
            {
                var blocks = random.Next(1, 4);
                var hashes = Enumerable.Range(0, blocks).Select(_ => nextHash++).ToArray();
                stores.Add(new KvEvent { Kind = KvEventKind.BlockStored, ParentBlockHash = parent, BlockHashes = hashes, TokenIds = Tokens(10_000 + (int)hashes[0], blocks * 16) });
                allHashes.AddRange(hashes);
                parent = hashes[^1];
            }
        }

        var removals = allHashes.OrderBy(_ => random.Next()).Take(30).Select(h => new KvEvent { Kind = KvEventKind.BlockRemoved, BlockHashes = [h] }).ToList();
        var shuffled = stores.OrderBy(_ => random.Next()).ToList();
        Assert.Contains(shuffled.Select((e, i) => (e, i)), x => x.e.ParentBlockHash is { } p && shuffled.FindIndex(o => o.BlockHashes.Contains(p)) > x.i);

        using var inOrder = Open();
        using var outOfOrder = Open();
        await inOrder.RegisterBackendAsync("acme", Engine);
        await outOfOrder.RegisterBackendAsync("acme", Engine);
        var a = await inOrder.ApplyKvEventsAsync("acme", "vllm-0", Stream([.. stores, .. removals]));
        var b = await outOfOrder.ApplyKvEventsAsync("acme", "vllm-0", Stream([.. shuffled, .. removals]));

        var expected = inOrder.HeldKeys("acme", "vllm-0").Order().ToArray();
        Assert.True(expected.Length > 100, $"only {expected.Length} blocks held");
        Assert.Equal(expected, outOfOrder.HeldKeys("acme", "vllm-0").Order());
        Assert.Equal(0, b.Pending);
        Assert.Equal(0, b.Dropped);
        Assert.Equal(a.BlocksStored, b.BlocksStored);
    }

    [Fact]
    public async Task A_block_whose_parent_never_arrives_waits_in_a_bounded_buffer_and_the_oldest_wait_is_dropped()
    {
        using var cache = Open(new PrefixCacheOptions { Secret = "s", MaxPendingEventsPerBackend = 2 });
        await cache.RegisterBackendAsync("acme", Engine);
        var orphans = Enumerable.Range(0, 3).Select(i => new KvEvent
        {
            Kind = KvEventKind.BlockStored,
            ParentBlockHash = 9_000UL + (ulong)i,
            BlockHashes = [100UL + (ulong)i],
            TokenIds = Tokens(i, 16),
        });

        var result = await cache.ApplyKvEventsAsync("acme", "vllm-0", Stream([.. orphans]));

        Assert.Equal(0, result.BlocksStored);
        Assert.Equal(2, result.Pending);
        Assert.Equal(1, result.Dropped);
        Assert.Empty(cache.HeldKeys("acme", "vllm-0"));
    }

    [Fact]
    public async Task Removing_a_block_removes_the_blocks_after_it_and_clearing_removes_everything()
    {
        using var cache = Open();
        await cache.RegisterBackendAsync("acme", Engine);
        var tokens = Tokens(5, 64);
        await cache.ApplyKvEventsAsync("acme", "vllm-0", Stream(new KvEvent { Kind = KvEventKind.BlockStored, BlockHashes = [1, 2, 3, 4], TokenIds = tokens }));
        Assert.Equal(64, (await MatchOne(cache, "acme", tokens)).MatchedTokens);

        var removed = await cache.ApplyKvEventsAsync("acme", "vllm-0", Stream(new KvEvent { Kind = KvEventKind.BlockRemoved, BlockHashes = [2] }));
        Assert.Equal(3, removed.BlocksRemoved);
        Assert.Equal(16, (await MatchOne(cache, "acme", tokens)).MatchedTokens);

        await cache.ApplyKvEventsAsync("acme", "vllm-0", Stream(new KvEvent { Kind = KvEventKind.AllBlocksCleared }));
        Assert.Equal(0, (await MatchOne(cache, "acme", tokens)).MatchedTokens);
    }

    [Fact]
    public async Task A_backend_never_holds_more_blocks_than_the_cap_and_the_least_recently_used_prompts_go_first()
    {
        using var cache = Open(new PrefixCacheOptions { Secret = "s", MaxBlocksPerBackend = 100 });
        await cache.RegisterBackendAsync("acme", Engine);
        var prompts = Enumerable.Range(0, 50).Select(i => Tokens(1000 + i, 160)).ToArray();
        foreach (var prompt in prompts)
        {
            await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt) });
            Assert.True(cache.HeldKeys("acme", "vllm-0").Length <= 100);
        }

        Assert.Equal(100, cache.HeldKeys("acme", "vllm-0").Length);
        Assert.Equal(160, (await MatchOne(cache, "acme", prompts[^1])).MatchedTokens);
        Assert.Equal(0, (await MatchOne(cache, "acme", prompts[0])).MatchedTokens);
    }

    [Fact]
    public async Task Provider_rules_apply_minimum_steps_and_ttl_and_a_hit_refreshes_the_ttl()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        using var cache = Open(time: time);
        var openai = new PrefixBackend
        {
            Id = "openai",
            Kind = PrefixBackendKind.Provider,
            Tokenizer = PrefixTokenizers.Caller,
            BlockSize = 128,
            Model = "gpt-4o",
            Rules = new PrefixCacheRules { MinCachedTokens = 1024, StepTokens = 128, TimeToLive = TimeSpan.FromMinutes(5) },
        };
        await cache.RegisterBackendAsync("acme", openai);
        var shortPrompt = Tokens(7, 1000);
        var longPrompt = Tokens(8, 1500);

        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "openai", Prompt = PrefixPrompt.FromTokens(shortPrompt) });
        Assert.Equal(0, (await MatchOne(cache, "acme", shortPrompt, "openai")).ExpectedCachedTokens);

        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "openai", Prompt = PrefixPrompt.FromTokens(longPrompt) });
        var extended = longPrompt.Concat(Tokens(9, 200)).ToArray();
        var hit = await MatchOne(cache, "acme", extended, "openai");
        Assert.Equal(1408, hit.MatchedTokens);
        Assert.Equal(1408, hit.ExpectedCachedTokens);

        time.Advance(TimeSpan.FromMinutes(4));
        var usage = await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "openai", Prompt = PrefixPrompt.FromTokens(longPrompt), CachedTokensReported = 1408 });
        Assert.Equal(1408, usage.PredictedCachedTokens);
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(1408, (await MatchOne(cache, "acme", longPrompt, "openai")).ExpectedCachedTokens);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, (await MatchOne(cache, "acme", longPrompt, "openai")).ExpectedCachedTokens);
    }

    [Fact]
    public async Task Costs_come_from_the_pricing_table_and_the_saving_is_the_cached_tokens_at_the_cache_discount()
    {
        using var cache = Open();
        await cache.RegisterBackendAsync("acme", Engine with { Model = "gpt-4o" });
        var prompt = Tokens(10, 2000);
        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt) });

        var result = await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = PrefixPrompt.FromTokens(prompt), ExpectedOutputTokens = 100 });

        var row = Assert.Single(result.Backends);
        Assert.True(PricingTable.Default.TryGetPrice("gpt-4o", out var price));
        Assert.Equal(price.CostOf(2000, 100), row.CostWithoutCache!.Value, 12);
        Assert.Equal(price.CostOf(2000, 100, cachedInputTokens: 2000), row.CostWithCache!.Value, 12);
        Assert.Equal(2000 * (price.InputPerMillion - price.CachedInputPerMillion) / 1e6, result.EstimatedSaving!.Value, 12);
        Assert.Equal("vllm-0", result.RecommendedBackend);
    }

    [Fact]
    public async Task The_recommendation_weighs_overlap_against_load()
    {
        using var cache = Open();
        await cache.RegisterBackendAsync("acme", Engine);
        await cache.RegisterBackendAsync("acme", Engine with { Id = "vllm-1" });
        var prompt = Tokens(11, 320);
        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt) });

        async Task<string?> Recommend(double load0, double load1) => (await cache.MatchAsync(new PrefixMatchRequest
        {
            Tenant = "acme",
            Prompt = PrefixPrompt.FromTokens(prompt),
            Candidates = [new PrefixCandidate("vllm-0", load0), new PrefixCandidate("vllm-1", load1), new PrefixCandidate("unknown", 0)],
        })).RecommendedBackend;

        Assert.Equal("vllm-0", await Recommend(0.5, 0.0));
        Assert.Equal("vllm-1", await Recommend(1.5, 0.0));
    }

    [Fact]
    public async Task The_index_survives_a_restart_from_its_data_directory_with_the_generated_secret()
    {
        var directory = TempDirectory();
        var prompt = Tokens(12, 200);
        using (var cache = Open(new PrefixCacheOptions(), directory))
        {
            await cache.RegisterBackendAsync("acme", Engine);
            await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt) });
        }

        using (var reopened = Open(new PrefixCacheOptions(), directory))
        {
            Assert.Equal(192, (await MatchOne(reopened, "acme", prompt)).MatchedTokens);
            Assert.Equal(0, (await MatchOne(reopened, "globex", prompt)).MatchedTokens);
        }

        // A damaged file is set aside, not fatal.
        await File.WriteAllTextAsync(Path.Combine(directory, "prefix", "index.bin"), "not an index");
        using var afterDamage = Open(new PrefixCacheOptions(), directory);
        Assert.Equal(0, afterDamage.TenantCount);
        Assert.True(File.Exists(Path.Combine(directory, "prefix", "index.bin.damaged")));
    }

    [Fact]
    public async Task Without_a_data_directory_nothing_is_written_and_a_new_instance_starts_empty()
    {
        var prompt = Tokens(13, 64);
        using (var cache = Open())
        {
            await cache.RegisterBackendAsync("acme", Engine);
            await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt) });
        }

        using var fresh = Open();
        Assert.Equal(0, fresh.TenantCount);
        Assert.False((await MatchOne(fresh, "acme", prompt)).Known);
    }

    [Fact]
    public async Task The_explainer_points_at_the_changed_timestamp_in_the_system_prompt()
    {
        using var cache = Open();
        await cache.RegisterBackendAsync("acme", new PrefixBackend { Id = "openai", Tokenizer = PrefixTokenizers.O200kBase, BlockSize = 16 });
        var tools = new[] { """{"name":"search","parameters":{"type":"object","properties":{"q":{"type":"string"}}}}""" };
        PrefixPrompt Chat(string time) => new()
        {
            Tools = tools,
            System = $"You are a support agent for Acme. Current time: {time}. Answer briefly and cite the manual.",
            Messages = [new PrefixMessage("user", "How do I reset my router to factory settings?")],
        };
        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "openai", Prompt = Chat("2026-01-01 10:00:00") });

        var explanation = await cache.ExplainAsync(new PrefixExplainRequest { Tenant = "acme", Prompt = Chat("2026-01-01 10:05:00") });

        Assert.True(explanation.Found);
        Assert.Equal("openai", explanation.BackendId);
        var rendered = PromptTokenizer.Render(Chat("2026-01-01 10:05:00"))!;
        Assert.Equal(rendered.IndexOf("10:05:00", StringComparison.Ordinal) + 4, explanation.CharOffset);
        Assert.Contains("10:05", explanation.CurrentText, StringComparison.Ordinal);
        Assert.Contains("10:00", explanation.PreviousText, StringComparison.Ordinal);
        Assert.True(explanation.DivergingBlock >= 0);
        Assert.Equal(explanation.DivergingBlock * 16, explanation.MatchedTokens);
        Assert.Contains("character", explanation.Summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_prompts_render_tools_with_sorted_keys_so_key_order_does_not_break_the_prefix()
    {
        using var cache = Open();
        await cache.RegisterBackendAsync("acme", new PrefixBackend { Id = "b", Tokenizer = PrefixTokenizers.Cl100kBase, BlockSize = 4 });
        var a = new PrefixPrompt { Tools = ["""{"name":"f","description":"d"}"""], Messages = [new PrefixMessage("user", "hello there, how are you doing today?")] };
        var b = a with { Tools = ["""{ "description": "d", "name": "f" }"""] };
        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "b", Prompt = a });

        var row = Assert.Single((await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = b })).Backends);

        Assert.Equal(row.PromptTokens / 4 * 4, row.MatchedTokens);
        Assert.True(row.MatchedTokens > 0);
    }

    [Fact]
    public async Task Unknown_models_fall_back_to_byte_chunks_of_the_text()
    {
        using var cache = Open();
        await cache.RegisterBackendAsync("acme", new PrefixBackend { Id = "local", Tokenizer = PrefixTokenizers.Bytes, BlockSize = 8 });
        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "local", Prompt = PrefixPrompt.FromText("0123456789abcdef-tail") });

        var row = Assert.Single((await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = PrefixPrompt.FromText("0123456789abcdeX") })).Backends);

        Assert.Equal(16, row.PromptTokens);
        Assert.Equal(8, row.MatchedTokens);
    }

    [Fact]
    public async Task Reported_usage_records_predicted_and_reported_cached_tokens_as_metrics()
    {
        using var cache = Open();
        await cache.RegisterBackendAsync("acme", Engine);
        var prompt = Tokens(14, 64);
        var measured = new List<(string Name, long Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.StartsWith("semcache.prefix.cached_tokens", StringComparison.Ordinal)) { l.EnableMeasurementEvents(instrument); }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => { lock (measured) { measured.Add((instrument.Name, value)); } });
        listener.Start();

        await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt), CachedTokensReported = 0 });
        var second = await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "vllm-0", Prompt = PrefixPrompt.FromTokens(prompt), CachedTokensReported = 48 });

        Assert.Equal(64, second.PredictedCachedTokens);
        Assert.Equal(48, second.ReportedCachedTokens);
        lock (measured)
        {
            Assert.Contains(("semcache.prefix.cached_tokens.predicted", 64L), measured);
            Assert.Contains(("semcache.prefix.cached_tokens.reported", 48L), measured);
            Assert.Contains(("semcache.prefix.cached_tokens.error", -16L), measured);
        }
    }

    [Fact]
    public async Task Hostile_arguments_are_refused_with_a_message_naming_the_field()
    {
        using var cache = Open(new PrefixCacheOptions { Secret = "s", MaxBackendsPerTenant = 2, MaxPromptTokens = 1000 });
        await cache.RegisterBackendAsync("acme", Engine);

        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.RegisterBackendAsync("acme", Engine with { Tokenizer = "gpt2" }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.RegisterBackendAsync("acme", Engine with { BlockSize = 0 }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.RegisterBackendAsync("acme", Engine with { Id = "" }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.RegisterBackendAsync("acme", Engine with { Rules = new PrefixCacheRules { StepTokens = 0 } }));
        await cache.RegisterBackendAsync("acme", Engine with { Id = "b" });
        var full = await Assert.ThrowsAsync<ArgumentException>(async () => await cache.RegisterBackendAsync("acme", Engine with { Id = "c" }));
        Assert.Contains("MaxBackendsPerTenant", full.Message, StringComparison.Ordinal);

        var tooLong = await Assert.ThrowsAsync<ArgumentException>(async () => await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = PrefixPrompt.FromTokens(new int[1001]) }));
        Assert.Contains("1001", tooLong.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = PrefixPrompt.FromTokens([1, -2]) }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = new PrefixPrompt() }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = PrefixPrompt.FromText("x"), Candidates = [new PrefixCandidate("vllm-0", double.NaN)] }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = PrefixPrompt.FromText("x"), Candidates = [new("a"), new("b"), new("c")] }));
        var caller = await Assert.ThrowsAsync<ArgumentException>(async () => await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = PrefixPrompt.FromText("text for a caller-tokenised engine") }));
        Assert.Contains("token ids", caller.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "nope", Prompt = PrefixPrompt.FromTokens([1]) }));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.ApplyKvEventsAsync("acme", "vllm-0", Stream(new KvEvent { Kind = KvEventKind.BlockStored, BlockHashes = [1], TokenIds = [1, 2, 3] })));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.ApplyKvEventsAsync("acme", "vllm-0", Stream(new KvEvent { Kind = (KvEventKind)42 })));
        await Assert.ThrowsAsync<ArgumentException>(async () => await cache.MatchAsync(new PrefixMatchRequest { Tenant = "acme", Prompt = new PrefixPrompt { Messages = [new PrefixMessage("user", "x")], Tools = ["{not json"] } }));
    }
}
