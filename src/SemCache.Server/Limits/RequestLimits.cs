using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Limits;

/// <summary>
/// Checks every request against the configured limits before the engine sees it. A violation is
/// InvalidArgument whose message names the field and the limit, so a caller can fix it without
/// reading server logs.
/// </summary>
internal sealed class RequestLimits(IOptions<ServerOptions> serverOptions, IOptions<SemanticCacheOptions> cacheOptions)
{
    private readonly ServerOptions _server = serverOptions.Value;
    private readonly SemanticCacheOptions _cache = cacheOptions.Value;

    public int Dimensions => _cache.Dimensions;

    public int MaxBatchSize => _server.MaxBatchSize;

    public void Check(V1.LookupRequest request, string field = "")
    {
        CheckScope(request.Scope, Name(field, "scope"));
        if (request.HasPrompt)
        {
            CheckText(request.Prompt, Name(field, "prompt"), _cache.MaxPromptLength, "MaxPromptLength");
        }
        else if (request.Vector.Count == 0)
        {
            throw Invalid($"{Name(field, "prompt")} or {Name(field, "vector")} is required");
        }

        CheckVector(request.Vector, Name(field, "vector"));
        CheckContext(request.Context, Name(field, "context"));
        if (request.HasMinSimilarity && !(request.MinSimilarity >= 0 && request.MinSimilarity <= 1))
        {
            throw Invalid($"{Name(field, "min_similarity")} must be between 0 and 1, got {request.MinSimilarity}");
        }

        if (request.MaxAge is { } maxAge)
        {
            CheckDuration(maxAge, Name(field, "max_age"), TimeSpan.MaxValue, "the largest duration");
        }
    }

    public void Check(V1.StoreRequest request)
    {
        CheckScope(request.Scope, "scope");
        if (request.Prompt.Length == 0)
        {
            throw Invalid("prompt is required");
        }

        CheckText(request.Prompt, "prompt", _cache.MaxPromptLength, "MaxPromptLength");
        CheckText(request.Response, "response", _cache.MaxResponseLength, "MaxResponseLength");
        CheckVector(request.Vector, "vector");
        CheckContext(request.Context, "context");
        if (request.Tags.Count > _cache.MaxTags)
        {
            throw Invalid($"tags has {request.Tags.Count} entries; the limit MaxTags is {_cache.MaxTags}");
        }

        for (var i = 0; i < request.Tags.Count; i++)
        {
            CheckText(request.Tags[i], $"tags[{i}]", _server.MaxScopeFieldLength, "MaxScopeFieldLength");
        }

        if (request.TimeToLive is { } ttl)
        {
            CheckDuration(ttl, "time_to_live", _cache.MaxTimeToLive, "MaxTimeToLive");
        }

        if (request.Usage is { } usage && (usage.InputTokens < 0 || usage.OutputTokens < 0 || !double.IsFinite(usage.Cost) || usage.Cost < 0))
        {
            throw Invalid("usage must have non-negative token counts and a finite, non-negative cost");
        }
    }

    public void CheckScope(V1.Scope? scope, string field)
    {
        if (scope is null)
        {
            throw Invalid($"{field} is required");
        }

        if (scope.Model.Length == 0)
        {
            throw Invalid($"{field}.model is required");
        }

        var max = _server.MaxScopeFieldLength;
        CheckText(scope.Model, field + ".model", max, "MaxScopeFieldLength");
        if (scope.HasSystemPrompt)
        {
            CheckText(scope.SystemPrompt, field + ".system_prompt", _server.MaxSystemPromptLength, "MaxSystemPromptLength");
        }

        if (scope.HasSystemPromptHash)
        {
            CheckText(scope.SystemPromptHash, field + ".system_prompt_hash", max, "MaxScopeFieldLength");
        }

        if (scope.Tools.Count > _server.MaxContextTurns)
        {
            throw Invalid($"{field}.tools has {scope.Tools.Count} entries; the limit MaxContextTurns is {_server.MaxContextTurns}");
        }

        for (var i = 0; i < scope.Tools.Count; i++)
        {
            CheckText(scope.Tools[i], $"{field}.tools[{i}]", _server.MaxSystemPromptLength, "MaxSystemPromptLength");
        }

        if (scope.Extra.Count > _server.MaxContextTurns)
        {
            throw Invalid($"{field}.extra has {scope.Extra.Count} entries; the limit MaxContextTurns is {_server.MaxContextTurns}");
        }

        foreach (var (key, value) in scope.Extra)
        {
            CheckText(key, field + ".extra key", max, "MaxScopeFieldLength");
            CheckText(value, $"{field}.extra[{key}]", max, "MaxScopeFieldLength");
        }

        if (scope.Sampling is { } s)
        {
            if ((s.HasTemperature && !float.IsFinite(s.Temperature)) || (s.HasTopP && !float.IsFinite(s.TopP)))
            {
                throw Invalid($"{field}.sampling has a non-finite temperature or top_p");
            }

            if (s.HasResponseFormat)
            {
                CheckText(s.ResponseFormat, field + ".sampling.response_format", max, "MaxScopeFieldLength");
            }
        }
    }

    private void CheckVector(RepeatedField<float> vector, string field)
    {
        if (vector.Count == 0)
        {
            return;
        }

        if (vector.Count != _cache.Dimensions)
        {
            throw Invalid($"{field} has {vector.Count} dimensions; the model's dimension is {_cache.Dimensions}");
        }

        for (var i = 0; i < vector.Count; i++)
        {
            if (!float.IsFinite(vector[i]))
            {
                throw Invalid($"{field}[{i}] is {vector[i]}; vectors must be finite");
            }
        }
    }

    private void CheckContext(RepeatedField<V1.ConversationTurn> context, string field)
    {
        if (context.Count > _server.MaxContextTurns)
        {
            throw Invalid($"{field} has {context.Count} turns; the limit MaxContextTurns is {_server.MaxContextTurns}");
        }

        for (var i = 0; i < context.Count; i++)
        {
            CheckText(context[i].Role, $"{field}[{i}].role", _server.MaxScopeFieldLength, "MaxScopeFieldLength");
            CheckText(context[i].Text, $"{field}[{i}].text", _cache.MaxResponseLength, "MaxResponseLength");
        }
    }

    private static void CheckText(string text, string field, int max, string limitName)
    {
        if (text.Length > max)
        {
            throw Invalid($"{field} has {text.Length} characters; the limit {limitName} is {max}");
        }

        // Lone surrogates come from invalid UTF-8 or hostile clients; they would hash and embed
        // unpredictably, so they are refused here rather than stored.
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw Invalid($"{field} is not valid Unicode (lone surrogate at {i})");
            }
            else if (c == '\uFFFD')
            {
                throw Invalid($"{field} is not valid UTF-8 (replacement character at {i})");
            }
        }
    }

    private static void CheckDuration(Duration duration, string field, TimeSpan max, string limitName)
    {
        var valid = duration.Seconds is >= -Duration.MaxSeconds and <= Duration.MaxSeconds
            && duration.Nanos is > -Duration.NanosecondsPerSecond and < Duration.NanosecondsPerSecond
            && (duration.Seconds == 0 || duration.Nanos == 0 || (duration.Seconds > 0) == (duration.Nanos > 0));
        if (!valid)
        {
            throw Invalid($"{field} is not a valid duration");
        }

        if (duration.Seconds < 0 || duration.Nanos < 0 || (duration.Seconds == 0 && duration.Nanos == 0))
        {
            throw Invalid($"{field} must be positive");
        }

        if (duration.Seconds > (long)Math.Min(max.TotalSeconds, TimeSpan.MaxValue.TotalSeconds - 1))
        {
            throw Invalid($"{field} is longer than the limit {limitName} ({max})");
        }
    }

    // Every message starts with the field it is about; that prefix becomes the BadRequest field.
    private static string Name(string prefix, string field) => prefix.Length == 0 ? field : prefix + "." + field;

    private static RpcException Invalid(string message) => RichStatus.InvalidArgument(message.Split(' ', 2)[0], message);
}
