using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ChatWithCache;

/// <summary>
/// Stands in for a paid model: answers from a fixed table, reports token usage like a provider would, and counts
/// calls so the demo can show which questions reached it.
/// </summary>
internal sealed class FakeLlm : IChatClient
{
    private static readonly Dictionary<string, string> Answers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["capital"] = "The capital of France is Paris.",
        ["new york to florida"] = "Three airlines fly New York to Florida daily; the earliest leaves at 06:05.",
        ["florida to new york"] = "Two airlines fly Florida to New York daily; the earliest leaves at 07:40.",
        ["refund"] = "You can ask for a refund within 30 days of purchase from the Orders page.",
    };

    public int Calls { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        var answer = Answer(messages);
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
        {
            ModelId = options?.ModelId ?? "gpt-4o-mini",
            FinishReason = ChatFinishReason.Stop,
            Usage = Usage(messages, answer),
        });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls++;
        var answer = Answer(messages);
        foreach (var word in answer.Split(' '))
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ") { ModelId = options?.ModelId ?? "gpt-4o-mini" };
        }

        yield return new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop, Contents = [new UsageContent(Usage(messages, answer))] };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake-llm", null, "gpt-4o-mini") : null;

    public void Dispose()
    {
    }

    private static string Answer(IEnumerable<ChatMessage> messages)
    {
        var question = messages.Last().Text;
        return Answers.FirstOrDefault(a => question.Contains(a.Key, StringComparison.OrdinalIgnoreCase)).Value ?? "I do not know.";
    }

    // Roughly four characters per token, plus a fixed prompt overhead, as a provider would bill it.
    private static UsageDetails Usage(IEnumerable<ChatMessage> messages, string answer) => new()
    {
        InputTokenCount = 400 + messages.Sum(m => m.Text.Length) / 4,
        OutputTokenCount = 200 + answer.Length / 4,
    };
}
