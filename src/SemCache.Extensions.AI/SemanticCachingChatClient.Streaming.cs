using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace SemCache.Extensions.AI;

public sealed partial class SemanticCachingChatClient
{
    /// <summary>Characters per replayed update: a hit streams like a model would, in pieces, not as one block.</summary>
    private const int ReplayChunk = 64;

    /// <inheritdoc />
    /// <remarks>
    /// A hit is replayed as updates carrying the stored text; the first carries the hit metadata. On a miss the inner
    /// stream is passed through as it arrives, its updates are coalesced, and the answer is stored only after the
    /// stream completed normally: a stream that fails, is cancelled or is abandoned by the caller stores nothing.
    /// </remarks>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = Map(messages, options);
        if (request is null)
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        var hit = await LookupAsync(request, cancellationToken).ConfigureAwait(false);
        if (hit is { IsHit: true })
        {
            foreach (var update in Replay(request, hit)) { yield return update; }
            yield break;
        }

        var updates = new List<ChatResponseUpdate>();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            yield return update;
        }

        // Reached only when the inner stream completed and the caller read it to the end.
        var response = updates.ToChatResponse();
        await StoreAsync(request, response, hit, System.Diagnostics.Stopwatch.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        if (hit is not null && response.AdditionalProperties is { } properties)
        {
            // One closing update without content tells a streaming caller what a plain call's response says: a miss,
            // the best similarity seen, and the id the answer was stored under.
            var metadata = new AdditionalPropertiesDictionary();
            foreach (var key in (string[])[SemanticCacheChatProperties.HitKind, SemanticCacheChatProperties.Similarity, SemanticCacheChatProperties.Reasons, SemanticCacheChatProperties.EntryId])
            {
                if (properties.TryGetValue(key, out var value)) { metadata[key] = value; }
            }

            yield return new ChatResponseUpdate { AdditionalProperties = metadata };
        }
    }

    private IEnumerable<ChatResponseUpdate> Replay(ChatCacheRequest request, CacheLookupResult hit)
    {
        var text = hit.Response ?? string.Empty;
        var responseId = "semcache-" + hit.EntryId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var created = DateTimeOffset.UtcNow;
        var offset = 0;
        do
        {
            var length = Math.Min(ReplayChunk, text.Length - offset);

            // Never split a surrogate pair between two updates.
            if (offset + length < text.Length && char.IsHighSurrogate(text[offset + length - 1])) { length++; }
            var last = offset + length >= text.Length;
            yield return new ChatResponseUpdate(ChatRole.Assistant, text.Substring(offset, length))
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = request.Scope.Model,
                CreatedAt = created,
                FinishReason = last ? ChatFinishReason.Stop : null,
                AdditionalProperties = offset == 0 ? HitProperties(request, hit) : null,
            };
            offset += length;
        }
        while (offset < text.Length);
    }
}
