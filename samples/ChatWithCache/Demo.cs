using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SemCache;
using SemCache.Extensions.AI;

namespace ChatWithCache;

/// <summary>The demo: one pipeline, several questions, what each cost, and the savings per feature.</summary>
public static class Demo
{
    private static readonly ChatMessage System = new(ChatRole.System, "You are the support assistant of a travel agency.");

    public static async Task<int> RunAsync(TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var services = new ServiceCollection();

        // The embedded engine with the default MiniLM embedder; in memory so every run starts empty.
        services.AddSemanticCache(o => o.Durability = CacheDurability.InMemory).AddOnnxEmbedder();
        await using var provider = services.BuildServiceProvider();
        var llm = new FakeLlm();
        using var chat = new ChatClientBuilder(llm).UseSemanticCache(configure: c => c.DefaultFeature = "support").Build(provider);

        await AskAsync(output, chat, llm, "What is the capital of France?", "geo");
        await AskAsync(output, chat, llm, "What is the capital of France?", "geo");
        await AskAsync(output, chat, llm, "Which city is the capital of France?", "geo");
        await AskAsync(output, chat, llm, "Show me flights from New York to Florida.", "travel");
        await AskAsync(output, chat, llm, "Show me flights from Florida to New York.", "travel");
        await StreamAsync(output, chat, llm, "How do I get a refund for my booking?");
        await StreamAsync(output, chat, llm, "How do I get a refund for my booking?");

        var stats = await provider.GetRequiredService<ISemanticCache>().GetStatsAsync("default");
        output.WriteLine();
        output.WriteLine($"model calls: {llm.Calls} of 7 questions");
        output.WriteLine("savings per feature:");
        foreach (var line in stats.Costs.OrderBy(l => l.Feature, StringComparer.Ordinal))
        {
            output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"  {line.Feature,-8} lookups {line.Lookups}  hits {line.ExactHits + line.SemanticHits}  tokens saved {line.TokensSaved,5}  saved {line.CostSaved:0.000000} {stats.Currency}  spent {line.Spend:0.000000} {stats.Currency}"));
        }

        return 0;
    }

    private static async Task AskAsync(TextWriter output, IChatClient chat, FakeLlm llm, string question, string feature)
    {
        var before = llm.Calls;
        var response = await chat.GetResponseAsync([System, new(ChatRole.User, question)], new ChatOptions { AdditionalProperties = new() { ["feature"] = feature } });
        Report(output, question, response.Text, response.AdditionalProperties, llm.Calls > before, streamed: false);
    }

    private static async Task StreamAsync(TextWriter output, IChatClient chat, FakeLlm llm, string question)
    {
        var before = llm.Calls;
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync([System, new(ChatRole.User, question)])) { updates.Add(update); }
        // A hit's first update carries the metadata; a miss's arrives in a closing update once the answer is stored.
        var metadata = updates.FirstOrDefault(u => u.AdditionalProperties?.ContainsKey(SemanticCacheChatProperties.HitKind) == true)?.AdditionalProperties;
        Report(output, question, updates.ToChatResponse().Text, metadata, llm.Calls > before, streamed: true);
    }

    private static void Report(TextWriter output, string question, string answer, AdditionalPropertiesDictionary? metadata, bool calledModel, bool streamed)
    {
        var kind = metadata?.GetValueOrDefault(SemanticCacheChatProperties.HitKind) as string ?? "miss";
        var reasons = metadata?.GetValueOrDefault(SemanticCacheChatProperties.Reasons) is IEnumerable<string> r ? string.Join(",", r) : string.Empty;
        var similarity = metadata?.GetValueOrDefault(SemanticCacheChatProperties.Similarity) is float s ? s.ToString("0.000", CultureInfo.InvariantCulture) : "-";
        var saved = metadata?.GetValueOrDefault(SemanticCacheChatProperties.CostSaved) is double c ? c.ToString("0.000000", CultureInfo.InvariantCulture) : "0";
        output.WriteLine($"{(streamed ? "stream " : "ask    ")}{kind,-8} model:{(calledModel ? "called" : "skipped"),-7} sim:{similarity,-5} saved:{saved,-8} reasons:[{reasons}] \"{question}\" -> {answer.Trim()}");
    }
}
