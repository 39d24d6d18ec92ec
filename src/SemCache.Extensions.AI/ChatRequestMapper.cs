using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SemCache.Extensions.AI;

/// <summary>What a chat request means to the cache: its scope, prompt, context and per-call settings.</summary>
internal sealed record ChatCacheRequest(
    CacheScope Scope,
    string Prompt,
    IReadOnlyList<ConversationTurn>? Context,
    string? Feature,
    IReadOnlyList<string>? Tags,
    TimeSpan? TimeToLive,
    bool NoStore);

/// <summary>
/// Maps Microsoft.Extensions.AI requests to cache requests. Everything that can change the answer goes into the scope;
/// a request whose answer depends on something the cache cannot see (server-side conversation state, images, a raw
/// provider request) is not cached at all, because a wrong answer is worse than a miss.
/// </summary>
internal static class ChatRequestMapper
{
    // Extra values longer than this are hashed: the engine bounds each value, and a hash keeps exact matching.
    private const int MaxPlainExtraLength = 256;

    public static ChatCacheRequest? TryMap(IEnumerable<ChatMessage> messages, ChatOptions? options, ChatClientMetadata? metadata)
    {
        var properties = options?.AdditionalProperties;
        if (Flag(properties, SemanticCacheChatProperties.NoCache)) { return null; }

        // State held by the provider (a conversation id, a background response) is invisible to the cache.
        if (options is { ConversationId: not null } or { ContinuationToken: not null } or { RawRepresentationFactory: not null })
        {
            return null;
        }

        var list = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        if (list.Count == 0 || list[^1].Role != ChatRole.User) { return null; }

        var prompt = TextOnly(list[^1]);
        if (string.IsNullOrWhiteSpace(prompt)) { return null; }

        var system = new StringBuilder();
        if (!string.IsNullOrEmpty(options?.Instructions)) { system.Append(options.Instructions); }
        var context = new List<ConversationTurn>();
        for (var i = 0; i < list.Count - 1; i++)
        {
            var message = list[i];
            if (message.Role == ChatRole.System)
            {
                var text = TextOnly(message);
                if (text is null) { return null; }
                if (system.Length > 0) { system.Append("\n\n"); }
                system.Append(text);
                continue;
            }

            var turn = TurnText(message);
            if (turn is null) { return null; }
            context.Add(new ConversationTurn(message.Role.Value, turn));
        }

        var extra = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (metadata?.ProviderName is { Length: > 0 } provider) { extra["provider"] = provider; }
        if (options is not null && !AddOptions(options, extra)) { return null; }

        var scope = new CacheScope
        {
            Model = options?.ModelId ?? metadata?.DefaultModelId ?? "default",
            SystemPrompt = system.Length == 0 ? null : system.ToString(),
            Tools = options?.Tools is { Count: > 0 } tools ? [.. tools.Select(ToolKey)] : null,
            Sampling = Sampling(options),
            Extra = extra.Count == 0 ? null : extra,
        };

        return new ChatCacheRequest(
            scope,
            prompt,
            context.Count == 0 ? null : context,
            String(properties, SemanticCacheChatProperties.Feature),
            Tags(properties),
            TimeToLive(properties),
            Flag(properties, SemanticCacheChatProperties.NoStore));
    }

    private static CacheSampling? Sampling(ChatOptions? o)
    {
        if (o is null) { return null; }
        var format = o.ResponseFormat switch
        {
            null => null,
            ChatResponseFormatText => "text",
            ChatResponseFormatJson { Schema: { } schema } json => $"json:{json.SchemaName}:{schema.GetRawText()}",
            ChatResponseFormatJson => "json",
            var other => other.GetType().FullName,
        };
        if (o.Temperature is null && o.TopP is null && o.TopK is null && o.MaxOutputTokens is null && o.Seed is null && format is null)
        {
            return null;
        }

        return new CacheSampling { Temperature = o.Temperature, TopP = o.TopP, TopK = o.TopK, MaxOutputTokens = o.MaxOutputTokens, Seed = o.Seed, ResponseFormat = format };
    }

    private static bool AddOptions(ChatOptions o, SortedDictionary<string, string> extra)
    {
        if (o.FrequencyPenalty is { } fp) { extra["frequency_penalty"] = fp.ToString("R", CultureInfo.InvariantCulture); }
        if (o.PresencePenalty is { } pp) { extra["presence_penalty"] = pp.ToString("R", CultureInfo.InvariantCulture); }
        if (o.StopSequences is { Count: > 0 } stop) { extra["stop"] = string.Join('\u001f', stop); }
        if (o.AllowMultipleToolCalls is { } multi) { extra["parallel_tool_calls"] = multi ? "true" : "false"; }
        if (o.ToolMode is { } mode)
        {
            extra["tool_mode"] = mode switch
            {
                NoneChatToolMode => "none",
                AutoChatToolMode => "auto",
                RequiredChatToolMode { RequiredFunctionName: { } name } => "required:" + name,
                RequiredChatToolMode => "required",
                _ => mode.GetType().FullName ?? "unknown",
            };
        }

        if (o.AllowBackgroundResponses is true) { return false; }
        if (o.Reasoning is { } reasoning)
        {
            if (!TryJson(reasoning, out var json)) { return false; }
            extra["reasoning"] = json;
        }

        if (o.AdditionalProperties is { } properties)
        {
            foreach (var (key, value) in properties)
            {
                if (IsOwnKey(key)) { continue; }

                // An unknown setting the cache cannot key on exactly might change the answer: do not cache.
                if (!TryJson(value, out var json)) { return false; }
                extra["ap:" + key] = json;
            }
        }

        foreach (var key in extra.Keys.ToList())
        {
            if (extra[key].Length > MaxPlainExtraLength) { extra[key] = Hash(extra[key]); }
        }

        return true;
    }

    private static bool IsOwnKey(string key) =>
        key is SemanticCacheChatProperties.NoCache or SemanticCacheChatProperties.NoStore or SemanticCacheChatProperties.TimeToLive
            or SemanticCacheChatProperties.Tags or SemanticCacheChatProperties.Feature;

    private static bool TryJson(object? value, out string json)
    {
        try
        {
            json = value is null ? "null" : JsonSerializer.Serialize(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType()));
            return true;
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or JsonException or ArgumentException)
        {
            json = string.Empty;
            return false;
        }
    }

    private static string ToolKey(AITool tool) => tool switch
    {
        // The schema is part of the key: the same function name with other parameters is another tool.
        AIFunctionDeclaration f => $"{f.Name}:{f.Description}:{f.JsonSchema.GetRawText()}",
        _ => $"{tool.GetType().FullName}:{tool.Name}",
    };

    /// <summary>The message's text, or null when it holds anything but text (images, calls, files).</summary>
    private static string? TextOnly(ChatMessage message)
    {
        var sb = new StringBuilder();
        foreach (var content in message.Contents)
        {
            if (content is not TextContent text) { return null; }
            sb.Append(text.Text);
        }

        return sb.ToString();
    }

    /// <summary>An earlier turn as text: text, function calls and their results; null for anything else.</summary>
    private static string? TurnText(ChatMessage message)
    {
        var sb = new StringBuilder();
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent text:
                    sb.Append(text.Text);
                    break;
                case TextReasoningContent:
                    // Reasoning the model showed earlier does not change what the next answer should be.
                    break;
                case FunctionCallContent call:
                    if (!TryJson(call.Arguments, out var args)) { return null; }
                    sb.Append("[call ").Append(call.Name).Append(' ').Append(args).Append(']');
                    break;
                case FunctionResultContent result:
                    if (!TryJson(result.Result, out var value)) { return null; }
                    sb.Append("[result ").Append(value).Append(']');
                    break;
                default:
                    return null;
            }
        }

        return sb.ToString();
    }

    private static string Hash(string value) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));

    internal static bool Flag(AdditionalPropertiesDictionary? properties, string key) =>
        properties is not null && properties.TryGetValue(key, out var value) && value switch
        {
            bool b => b,
            string s => bool.TryParse(s, out var parsed) && parsed,
            JsonElement { ValueKind: JsonValueKind.True } => true,
            _ => false,
        };

    private static string? String(AdditionalPropertiesDictionary? properties, string key) =>
        properties is not null && properties.TryGetValue(key, out var value) ? value switch
        {
            string s when !string.IsNullOrWhiteSpace(s) => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            _ => null,
        }
        : null;

    private static List<string>? Tags(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null || !properties.TryGetValue(SemanticCacheChatProperties.Tags, out var value)) { return null; }
        IEnumerable<string?> tags = value switch
        {
            string s => s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            IEnumerable<string> list => list,
            JsonElement { ValueKind: JsonValueKind.Array } e => e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString() : x.GetRawText()),
            _ => throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{SemanticCacheChatProperties.Tags}\"] must be a list of strings or a comma-separated string.", nameof(properties)),
        };
        var result = tags.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t!).Distinct(StringComparer.Ordinal).ToList();
        return result.Count == 0 ? null : result;
    }

    private static TimeSpan? TimeToLive(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null || !properties.TryGetValue(SemanticCacheChatProperties.TimeToLive, out var value) || value is null) { return null; }
        TimeSpan? ttl = value switch
        {
            TimeSpan t => t,
            int i => TimeSpan.FromSeconds(i),
            long l => TimeSpan.FromSeconds(l),
            double d when double.IsFinite(d) => TimeSpan.FromSeconds(d),
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var secs) && double.IsFinite(secs) => TimeSpan.FromSeconds(secs),
            string s when TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out var t) => t,
            JsonElement { ValueKind: JsonValueKind.Number } e => TimeSpan.FromSeconds(e.GetDouble()),
            _ => null,
        };
        return ttl is { } v && v > TimeSpan.Zero
            ? v
            : throw new ArgumentException($"ChatOptions.AdditionalProperties[\"{SemanticCacheChatProperties.TimeToLive}\"] must be a positive TimeSpan or number of seconds (was '{value}').", nameof(properties));
    }
}
