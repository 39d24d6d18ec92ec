using Microsoft.Extensions.AI;
using SemCache.Extensions.AI;

namespace SemCache.Server.Tests;

/// <summary>UseSemanticCache over the remote client: the same middleware works against the server.</summary>
public sealed class ChatClientOverServerTests
{
    [Fact]
    public async Task The_chat_middleware_over_the_gRPC_client_serves_repeats_and_rewordings_and_accounts_the_feature()
    {
        await using var host = await ServerHost.StartAsync(engine: true, settings: new Dictionary<string, string?>
        {
            // The real default embedder: the middleware sends text, the server embeds it.
            ["SemCache:RequestsBringVectors"] = "false",
            ["SemCache:Dimensions"] = "384",
            ["SemCache:Embedder:Provider"] = "Cpu",
        });
        using var remote = host.ClientFor(ServerHost.AdminKey);
        var inner = new CountingChatClient();
        using var chat = new ChatClientBuilder(inner).UseSemanticCache(remote).Build();
        var options = new ChatOptions { ModelId = "gpt-4o-mini", AdditionalProperties = new() { ["feature"] = "helpdesk" } };

        var first = await chat.GetResponseAsync([new(ChatRole.User, "How do I cancel my hotel booking?")], options);
        var repeat = await chat.GetResponseAsync([new(ChatRole.User, "How do I cancel my hotel booking?")], options);
        var reworded = await chat.GetResponseAsync([new(ChatRole.User, "How can I cancel my hotel reservation?")], options);
        var stats = await host.Cache.GetStatsAsync("default");

        Assert.Equal(1, inner.Calls);
        Assert.Equal(("exact", "semantic"), (repeat.AdditionalProperties![SemanticCacheChatProperties.HitKind], reworded.AdditionalProperties![SemanticCacheChatProperties.HitKind]));
        Assert.Equal(first.Text, reworded.Text);
        var line = Assert.Single(stats.Costs);
        Assert.Equal(("helpdesk", "gpt-4o-mini", 3L, 2L, 1L), (line.Feature, line.Model, line.Lookups, line.ExactHits + line.SemanticHits, line.Stores));
    }

    private sealed class CountingChatClient : IChatClient
    {
        public int Calls { get; private set; }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Open My trips and choose Cancel."))
            {
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 20 },
            });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("not used by this test");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
