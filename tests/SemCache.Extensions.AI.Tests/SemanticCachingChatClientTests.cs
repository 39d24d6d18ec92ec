using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace SemCache.Extensions.AI.Tests;

[Collection(EngineCollection.Name)]
public sealed class SemanticCachingChatClientTests(EngineFixture fixture)
{
    private static readonly ChatMessage System = new(ChatRole.System, "You are a helpful assistant for a travel agency.");

    [Fact]
    public async Task An_identical_request_calls_the_model_once_and_the_second_is_an_exact_hit()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, cache);

        var first = await client.GetResponseAsync([System, new(ChatRole.User, "How many bags can I check on a long-haul flight?")]);
        var second = await client.GetResponseAsync([System, new(ChatRole.User, "How many bags can I check on a long-haul flight?")]);

        Assert.Equal(1, inner.Calls);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal("miss", first.AdditionalProperties![SemanticCacheChatProperties.HitKind]);
        Assert.Equal("exact", second.AdditionalProperties![SemanticCacheChatProperties.HitKind]);
        Assert.Equal(first.AdditionalProperties[SemanticCacheChatProperties.EntryId], second.AdditionalProperties[SemanticCacheChatProperties.EntryId]);
    }

    [Fact]
    public async Task A_reworded_request_is_a_semantic_hit_and_does_not_call_the_model_again()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, cache);

        var first = await client.GetResponseAsync([System, new(ChatRole.User, "How do I cancel my hotel booking?")]);
        var second = await client.GetResponseAsync([System, new(ChatRole.User, "How can I cancel my hotel reservation?")]);

        Assert.Equal(1, inner.Calls);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal("semantic", second.AdditionalProperties![SemanticCacheChatProperties.HitKind]);
        Assert.InRange((float)second.AdditionalProperties[SemanticCacheChatProperties.Similarity]!, 0.9f, 1f);
    }

    public static TheoryData<string, Func<ChatOptions, ChatMessage[]>> ScopeChanges => new()
    {
        { "system prompt", o => [new(ChatRole.System, "You are a pirate."), new(ChatRole.User, "Tell me about Lisbon.")] },
        { "model", o => { o.ModelId = "gpt-4o"; return [System, new(ChatRole.User, "Tell me about Lisbon.")]; } },
        { "tools", o => { o.Tools = [AIFunctionFactory.Create((string city) => "sunny", "get_weather")]; return [System, new(ChatRole.User, "Tell me about Lisbon.")]; } },
        { "temperature", o => { o.Temperature = 0.9f; return [System, new(ChatRole.User, "Tell me about Lisbon.")]; } },
        { "top-p", o => { o.TopP = 0.5f; return [System, new(ChatRole.User, "Tell me about Lisbon.")]; } },
        { "seed", o => { o.Seed = 42; return [System, new(ChatRole.User, "Tell me about Lisbon.")]; } },
        { "response format", o => { o.ResponseFormat = ChatResponseFormat.Json; return [System, new(ChatRole.User, "Tell me about Lisbon.")]; } },
        { "instructions", o => { o.Instructions = "Answer in French."; return [System, new(ChatRole.User, "Tell me about Lisbon.")]; } },
        { "other provider option", o => { o.AdditionalProperties = new() { ["user"] = "u-7" }; return [System, new(ChatRole.User, "Tell me about Lisbon.")]; } },
        { "earlier turns", o => [System, new(ChatRole.User, "I am going to Portugal."), new(ChatRole.Assistant, "Great choice."), new(ChatRole.User, "Tell me about Lisbon.")] },
    };

    [Theory]
    [MemberData(nameof(ScopeChanges))]
    public async Task A_request_that_differs_in_what_changes_the_answer_calls_the_model_again(string change, Func<ChatOptions, ChatMessage[]> variant)
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, cache);
        await client.GetResponseAsync([System, new(ChatRole.User, "Tell me about Lisbon.")], new ChatOptions());

        var options = new ChatOptions();
        var response = await client.GetResponseAsync(variant(options), options);

        Assert.True(inner.Calls == 2, $"a different {change} must not be served the first answer");
        Assert.Equal("miss", response.AdditionalProperties![SemanticCacheChatProperties.HitKind]);
    }

    [Fact]
    public async Task The_feature_ttl_and_tags_settings_are_not_part_of_the_scope()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, cache);
        await client.GetResponseAsync([System, new(ChatRole.User, "Tell me about Lisbon.")], new ChatOptions { AdditionalProperties = new() { ["feature"] = "a", ["tags"] = "city:lisbon" } });

        var hit = await client.GetResponseAsync([System, new(ChatRole.User, "Tell me about Lisbon.")], new ChatOptions { AdditionalProperties = new() { ["feature"] = "b", ["ttl"] = 60 } });

        Assert.Equal(1, inner.Calls);
        Assert.Equal("exact", hit.AdditionalProperties![SemanticCacheChatProperties.HitKind]);
        Assert.Equal(1, await cache.InvalidateAsync(CacheInvalidation.ForTag("default", "city:lisbon")));
    }

    [Fact]
    public async Task A_streamed_answer_is_stored_once_complete_and_served_to_a_plain_call_with_the_same_text()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, cache);

        var streamed = await client.GetStreamingResponseAsync([System, new(ChatRole.User, "What is the baggage allowance in economy?")]).ToChatResponseAsync();
        var plain = await client.GetResponseAsync([System, new(ChatRole.User, "What is the baggage allowance in economy?")]);

        Assert.Equal(1, inner.Calls);
        Assert.Equal(streamed.Text, plain.Text);
        Assert.Equal("exact", plain.AdditionalProperties![SemanticCacheChatProperties.HitKind]);
    }

    [Fact]
    public async Task A_hit_replays_as_several_updates_whose_text_is_the_stored_answer()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, cache);
        var question = "Explain in detail what documents a family of four needs to travel from Canada to Japan with a stopover in Seoul.";
        var plain = await client.GetResponseAsync([System, new(ChatRole.User, question)]);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync([System, new(ChatRole.User, question)])) { updates.Add(update); }

        Assert.Equal(1, inner.Calls);
        Assert.True(updates.Count > 1, "a long answer replays in pieces");
        Assert.Equal(plain.Text, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal("exact", updates[0].AdditionalProperties![SemanticCacheChatProperties.HitKind]);
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Equal(plain.Text, updates.ToChatResponse().Text);
    }

    [Fact]
    public async Task A_failed_call_stores_nothing()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient { Failure = new InvalidOperationException("model down") };
        using var client = new SemanticCachingChatClient(inner, cache);

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.GetResponseAsync([System, new(ChatRole.User, "Is the museum open on Mondays?")]));
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await client.GetStreamingResponseAsync([System, new(ChatRole.User, "Is the museum open on Mondays?")]).ToChatResponseAsync());

        Assert.Equal(0, (await cache.GetStatsAsync(null)).Entries);
        inner.Failure = null;
        await client.GetResponseAsync([System, new(ChatRole.User, "Is the museum open on Mondays?")]);
        Assert.Equal(3, inner.Calls);
    }

    [Fact]
    public async Task A_cancelled_or_abandoned_call_stores_nothing()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, cache);
        using var cts = new CancellationTokenSource();

        var count = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync([System, new(ChatRole.User, "Which terminal does the Lisbon flight leave from?")], cancellationToken: cts.Token))
            {
                if (++count == 2) { await cts.CancelAsync(); }
            }
        });
        await foreach (var update in client.GetStreamingResponseAsync([System, new(ChatRole.User, "Which terminal does the Lisbon flight leave from?")]))
        {
            break; // the caller stops reading: the answer is incomplete
        }

        Assert.Equal(0, (await cache.GetStatsAsync(null)).Entries);
        Assert.Equal(2, inner.Calls);
    }

    [Fact]
    public async Task A_cut_off_answer_or_one_ending_in_tool_calls_is_not_stored()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient { FinishReason = ChatFinishReason.Length };
        using var client = new SemanticCachingChatClient(inner, cache);

        await client.GetResponseAsync([System, new(ChatRole.User, "Write a long essay about Lisbon.")]);
        await client.GetStreamingResponseAsync([System, new(ChatRole.User, "Write a long essay about Lisbon.")]).ToChatResponseAsync();
        inner.FinishReason = ChatFinishReason.Stop;
        inner.CallTool = true;
        var toolCall = await client.GetResponseAsync([System, new(ChatRole.User, "What is the weather in Paris?")]);

        Assert.Equal(0, (await cache.GetStatsAsync(null)).Entries);
        Assert.Contains(toolCall.Messages.SelectMany(m => m.Contents), c => c is FunctionCallContent);
        Assert.Equal(3, inner.Calls);
    }

    [Fact]
    public async Task No_cache_skips_lookup_and_store_and_no_store_looks_up_but_does_not_store()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, cache);
        var noCache = new ChatOptions { AdditionalProperties = new() { ["no-cache"] = true } };
        var noStore = new ChatOptions { AdditionalProperties = new() { ["no-store"] = true } };

        await client.GetResponseAsync([new(ChatRole.User, "Where is the Belem tower?")], noStore);
        Assert.Equal(0, (await cache.GetStatsAsync(null)).Entries);
        await client.GetResponseAsync([new(ChatRole.User, "Where is the Belem tower?")]);
        var bypassed = await client.GetResponseAsync([new(ChatRole.User, "Where is the Belem tower?")], noCache);
        var served = await client.GetResponseAsync([new(ChatRole.User, "Where is the Belem tower?")], noStore);

        Assert.Equal(3, inner.Calls);
        Assert.Null(bypassed.AdditionalProperties?.GetValueOrDefault(SemanticCacheChatProperties.HitKind));
        Assert.Equal("exact", served.AdditionalProperties![SemanticCacheChatProperties.HitKind]);
    }

    [Fact]
    public async Task A_hit_reports_the_tokens_and_the_money_it_saved_from_the_pricing_table()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient { ModelId = "gpt-4o-mini", Usage = new() { InputTokenCount = 1_000, OutputTokenCount = 500 } };
        using var client = new SemanticCachingChatClient(inner, cache);
        await client.GetResponseAsync([new(ChatRole.User, "Do I need a visa for Brazil?")]);

        var hit = await client.GetResponseAsync([new(ChatRole.User, "Do I need a visa for Brazil?")]);

        // gpt-4o-mini lists $0.15 per million input and $0.60 per million output tokens:
        // 1,000 x 0.15 / 1e6 + 500 x 0.60 / 1e6 = 0.00015 + 0.0003 = 0.00045.
        Assert.Equal(1_500L, hit.AdditionalProperties![SemanticCacheChatProperties.TokensSaved]);
        Assert.Equal(0.00045, (double)hit.AdditionalProperties[SemanticCacheChatProperties.CostSaved]!, 10);
    }

    [Fact]
    public async Task Requests_the_cache_cannot_key_safely_go_to_the_model_untouched()
    {
        await using var cache = fixture.OpenInMemory();
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, cache);
        var image = new ChatMessage(ChatRole.User, [new TextContent("What is in this picture?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]);

        await client.GetResponseAsync([image]);
        await client.GetResponseAsync([image]);
        await client.GetResponseAsync([new(ChatRole.User, "Continue.")], new ChatOptions { ConversationId = "conv-1" });
        await client.GetResponseAsync([new(ChatRole.User, "Continue.")], new ChatOptions { ConversationId = "conv-1" });

        Assert.Equal(4, inner.Calls);
        Assert.Equal(0, (await cache.GetStatsAsync(null)).Entries);
    }

    [Fact]
    public async Task A_failing_cache_falls_through_to_the_model()
    {
        var inner = new FakeChatClient();
        using var client = new SemanticCachingChatClient(inner, new FailingCache());

        var response = await client.GetResponseAsync([new(ChatRole.User, "Hello?")]);

        Assert.Equal(1, inner.Calls);
        Assert.StartsWith("answer 1", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_per_call_settings_are_refused_with_the_key_named()
    {
        await using var cache = fixture.OpenInMemory();
        using var client = new SemanticCachingChatClient(new FakeChatClient(), cache);

        var e = await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([new(ChatRole.User, "Hello?")], new ChatOptions { AdditionalProperties = new() { ["ttl"] = "-5" } }));

        Assert.Contains("\"ttl\"", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseSemanticCache_takes_the_registered_cache_and_the_tenant_set_in_configure()
    {
        await using var cache = fixture.OpenInMemory();
        var services = new ServiceCollection().AddSingleton<ISemanticCache>(cache).BuildServiceProvider();
        var inner = new FakeChatClient();
        using var client = new ChatClientBuilder(inner).UseSemanticCache(configure: c => c.Tenant = "acme").Build(services);

        await client.GetResponseAsync([new(ChatRole.User, "Hello there?")]);
        await client.GetResponseAsync([new(ChatRole.User, "Hello there?")]);

        Assert.Equal(1, inner.Calls);
        Assert.Equal(1, (await cache.GetStatsAsync("acme")).Entries);
        Assert.NotNull(client.GetService<SemanticCachingChatClient>());
        var none = Assert.Throws<InvalidOperationException>(() => new ChatClientBuilder(inner).UseSemanticCache().Build(new ServiceCollection().BuildServiceProvider()));
        Assert.Contains("AddSemanticCache", none.Message, StringComparison.Ordinal);
    }

    private sealed class FailingCache : ISemanticCache
    {
        public ValueTask<CacheLookupResult> LookupAsync(CacheLookupRequest request, CancellationToken cancellationToken = default) => throw new IOException("server unreachable");

        public ValueTask<IReadOnlyList<CacheLookupResult>> LookupBatchAsync(IReadOnlyList<CacheLookupRequest> requests, CancellationToken cancellationToken = default) => throw new IOException("server unreachable");

        public ValueTask<CacheStoreResult> StoreAsync(CacheStoreRequest request, CancellationToken cancellationToken = default) => throw new IOException("server unreachable");

        public ValueTask<CacheGetOrCreateResult> GetOrCreateAsync(CacheLookupRequest request, Func<CancellationToken, ValueTask<CacheFill>> factory, CancellationToken cancellationToken = default) => throw new IOException("server unreachable");

        public ValueTask<long> InvalidateAsync(CacheInvalidation invalidation, CancellationToken cancellationToken = default) => throw new IOException("server unreachable");

        public ValueTask<bool> ReportHitAsync(CacheHitFeedback feedback, CancellationToken cancellationToken = default) => throw new IOException("server unreachable");

        public ValueTask<CacheStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken = default) => throw new IOException("server unreachable");
    }
}
