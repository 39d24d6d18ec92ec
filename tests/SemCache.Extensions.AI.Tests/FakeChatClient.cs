using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SemCache.Extensions.AI.Tests;

/// <summary>
/// A deterministic model: answers "answer N to: PROMPT" (N counts calls), reports fixed usage, and can be told to
/// fail, cut the answer off, call a tool or stream in pieces.
/// </summary>
internal sealed class FakeChatClient : IChatClient
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public string ModelId { get; init; } = "gpt-4o-mini";

    public ChatFinishReason FinishReason { get; set; } = ChatFinishReason.Stop;

    public bool CallTool { get; set; }

    public Exception? Failure { get; set; }

    public UsageDetails Usage { get; set; } = new() { InputTokenCount = 1_000, OutputTokenCount = 500 };

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var n = Interlocked.Increment(ref _calls);
        cancellationToken.ThrowIfCancellationRequested();
        if (Failure is { } failure) { throw failure; }
        var message = CallTool
            ? new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", "get_weather", new Dictionary<string, object?> { ["city"] = "Paris" })])
            : new ChatMessage(ChatRole.Assistant, Answer(n, messages));
        return Task.FromResult(new ChatResponse(message) { FinishReason = CallTool ? ChatFinishReason.ToolCalls : FinishReason, ModelId = options?.ModelId ?? ModelId, Usage = Usage });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var n = Interlocked.Increment(ref _calls);
        var text = Answer(n, messages);
        var pieces = text.Chunk(7).Select(c => new string(c)).ToList();
        for (var i = 0; i < pieces.Count; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            if (Failure is { } failure && i == pieces.Count / 2) { throw failure; }
            yield return new ChatResponseUpdate(ChatRole.Assistant, pieces[i]) { ResponseId = "r" + n, MessageId = "m" + n, ModelId = options?.ModelId ?? ModelId };
        }

        yield return new ChatResponseUpdate
        {
            ResponseId = "r" + n,
            FinishReason = FinishReason,
            Contents = [new UsageContent(Usage)],
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("fake", null, ModelId) : null;

    public void Dispose()
    {
    }

    private static string Answer(int n, IEnumerable<ChatMessage> messages) => $"answer {n} to: {messages.Last().Text}";
}
