using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace SemCache.Extensions.AI;

/// <summary>
/// An <see cref="IChatClient"/> middleware that answers a request from a SemCache <see cref="ISemanticCache"/> (the
/// embedded engine or the remote client) when the same question, or one that means the same, was answered before in
/// the same scope; otherwise it calls the inner client and stores the answer. Shaped like Microsoft's
/// <c>DistributedCachingChatClient</c>, with a semantic tier and a verifier in front of it.
/// </summary>
/// <remarks>
/// <para>The scope (what must match exactly) is the model id, the system messages and instructions, the tools, the
/// response format, the sampling settings (temperature, top-p, top-k, seed, maximum output tokens, penalties, stop
/// sequences, tool mode, reasoning) and every other additional property. The prompt is the last user message; earlier
/// turns are the context, so a follow-up only matches within the same conversation.</para>
/// <para>Requests the cache cannot key safely are passed through untouched: a last message that is not a user's text,
/// images or other non-text content, a provider-side conversation (<c>ConversationId</c>), background responses and
/// raw provider requests. Failed, cancelled and cut-off (<see cref="ChatFinishReason.Length"/>) answers, filtered
/// answers and answers that end in tool calls are never stored.</para>
/// <para>The cache is an optimisation: when a lookup or store fails (server down, request over a limit) the call
/// goes to the inner client and a warning is logged; the caller sees no cache error.</para>
/// </remarks>
public sealed partial class SemanticCachingChatClient : DelegatingChatClient
{
    private readonly ISemanticCache _cache;
    private readonly ILogger _logger;
    private string _tenant = "default";
    private PricingTable _pricing = PricingTable.Default;

    /// <summary>Creates the middleware over <paramref name="innerClient"/>.</summary>
    /// <param name="innerClient">The client that answers misses.</param>
    /// <param name="cache">The cache: the embedded engine or <c>SemanticCacheClient</c>.</param>
    /// <param name="logger">Receives a warning when the cache fails and the call falls through to the inner client.</param>
    public SemanticCachingChatClient(IChatClient innerClient, ISemanticCache cache, ILogger? logger = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(cache);
        _cache = cache;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>
    /// The tenant entries are stored under with the embedded engine. Default <c>default</c>. The server ignores it
    /// and takes the tenant from the API key.
    /// </summary>
    public string Tenant
    {
        get => _tenant;
        set
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(value);
            _tenant = value;
        }
    }

    /// <summary>The feature recorded for calls that do not name one with <see cref="SemanticCacheChatProperties.Feature"/>.</summary>
    public string? DefaultFeature { get; set; }

    /// <summary>Time to live of stored answers for calls that do not set <see cref="SemanticCacheChatProperties.TimeToLive"/>; null uses the cache's default.</summary>
    public TimeSpan? DefaultTimeToLive { get; set; }

    /// <summary>Overrides the cache's similarity threshold for lookups made by this client (0 to 1); null uses the cache's.</summary>
    public float? MinSimilarity { get; set; }

    /// <summary>
    /// Prices the usage the inner client reports, so a stored entry knows what it cost and a hit reports what it
    /// saved. Default <see cref="PricingTable.Default"/>. A model the table does not list is stored with cost 0 and
    /// its hits report no money saved.
    /// </summary>
    public PricingTable Pricing
    {
        get => _pricing;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            _pricing = value;
        }
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = Map(messages, options);
        if (request is null) { return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false); }

        var hit = await LookupAsync(request, cancellationToken).ConfigureAwait(false);
        if (hit is { IsHit: true }) { return HitResponse(request, hit); }

        var started = Stopwatch.GetTimestamp();
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        await StoreAsync(request, response, hit, Stopwatch.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        return response;
    }

    // A malformed per-call cache setting (ttl, tags) is the caller's mistake: the ArgumentException says so.
    private ChatCacheRequest? Map(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        ChatRequestMapper.TryMap(messages, options, InnerClient.GetService<ChatClientMetadata>());

    private async Task<CacheLookupResult?> LookupAsync(ChatCacheRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _cache.LookupAsync(
                new CacheLookupRequest
                {
                    Tenant = _tenant,
                    Scope = request.Scope,
                    Prompt = request.Prompt,
                    Context = request.Context,
                    MinSimilarity = MinSimilarity,
                    Feature = request.Feature ?? DefaultFeature,
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.LookupFailed(_logger, e);
            return null;
        }
    }

    /// <summary>Stores an answer when it is complete and plain text; anything else is left out of the cache.</summary>
    private async Task StoreAsync(ChatCacheRequest request, ChatResponse response, CacheLookupResult? miss, TimeSpan callDuration, CancellationToken cancellationToken)
    {
        if (miss is not null)
        {
            response.AdditionalProperties ??= [];
            response.AdditionalProperties[SemanticCacheChatProperties.HitKind] = "miss";
            response.AdditionalProperties[SemanticCacheChatProperties.Similarity] = miss.Similarity;
            response.AdditionalProperties[SemanticCacheChatProperties.Reasons] = miss.Reasons;
        }

        if (request.NoStore || miss is null || Storable(response) is not { } text) { return; }
        try
        {
            var stored = await _cache.StoreAsync(
                new CacheStoreRequest
                {
                    Tenant = _tenant,
                    Scope = request.Scope,
                    Prompt = request.Prompt,
                    Response = text,
                    Context = request.Context,
                    Tags = request.Tags,
                    TimeToLive = request.TimeToLive ?? DefaultTimeToLive,
                    Usage = UsageOf(request.Scope.Model, response.Usage),
                    Feature = request.Feature ?? DefaultFeature,
                    CallDuration = callDuration,
                },
                cancellationToken).ConfigureAwait(false);
            response.AdditionalProperties![SemanticCacheChatProperties.EntryId] = stored.EntryId;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.StoreFailed(_logger, e);
        }
    }

    /// <summary>The answer's text when it may be stored: finished normally, text only, no tool calls.</summary>
    internal static string? Storable(ChatResponse response)
    {
        if (response.FinishReason is { } reason && reason != ChatFinishReason.Stop) { return null; }
        if (response.Messages.Count == 0) { return null; }
        foreach (var message in response.Messages)
        {
            if (message.Role != ChatRole.Assistant) { return null; }
            foreach (var content in message.Contents)
            {
                // Reasoning is not part of the answer a later caller needs; anything else (calls, images) is not text.
                if (content is not (TextContent or TextReasoningContent or UsageContent)) { return null; }
            }
        }

        var text = response.Text;
        return string.IsNullOrEmpty(text) ? null : text;
    }

    private CacheUsage? UsageOf(string model, UsageDetails? usage)
    {
        if (usage is null) { return null; }
        var input = Math.Max(0, usage.InputTokenCount ?? 0);
        var output = Math.Max(0, usage.OutputTokenCount ?? 0);
        var cached = Math.Clamp(usage.CachedInputTokenCount ?? 0, 0, input);
        return new CacheUsage(input, output, _pricing.CostOf(model, input, output, cached) ?? 0);
    }

    private ChatResponse HitResponse(ChatCacheRequest request, CacheLookupResult hit)
    {
        var message = new ChatMessage(ChatRole.Assistant, hit.Response ?? string.Empty);
        return new ChatResponse(message)
        {
            ModelId = request.Scope.Model,
            FinishReason = ChatFinishReason.Stop,
            CreatedAt = DateTimeOffset.UtcNow,
            AdditionalProperties = HitProperties(request, hit),
        };
    }

    private AdditionalPropertiesDictionary HitProperties(ChatCacheRequest request, CacheLookupResult hit)
    {
        var properties = new AdditionalPropertiesDictionary
        {
            [SemanticCacheChatProperties.HitKind] = hit.Kind == CacheHitKind.Exact ? "exact" : "semantic",
            [SemanticCacheChatProperties.Similarity] = hit.Similarity,
            [SemanticCacheChatProperties.EntryId] = hit.EntryId,
            [SemanticCacheChatProperties.Reasons] = hit.Reasons,
        };
        if (hit.Usage is { } usage)
        {
            properties[SemanticCacheChatProperties.TokensSaved] = usage.InputTokens + usage.OutputTokens;
            if (_pricing.CostOf(request.Scope.Model, usage.InputTokens, usage.OutputTokens) is { } cost)
            {
                properties[SemanticCacheChatProperties.CostSaved] = cost;
            }
            else if (usage.Cost > 0)
            {
                properties[SemanticCacheChatProperties.CostSaved] = usage.Cost;
            }
        }

        return properties;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "SemCache lookup failed; the call goes to the model.")]
        public static partial void LookupFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "SemCache store failed; the answer was returned but not cached.")]
        public static partial void StoreFailed(ILogger logger, Exception exception);
    }
}
