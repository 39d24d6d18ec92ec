using Google.Protobuf.Collections;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SemCache.Engine;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Limits;

/// <summary>
/// Checks every request before the engine sees it. The rules on prompts, responses, vectors, tags,
/// time to live, usage and similarity are the engine's own <see cref="RequestValidator"/> (one set of
/// rules, whichever cache the server hosts); what is only the server's is here: the sizes of scope
/// fields and conversations a server accepts, and protobuf durations. A violation is
/// InvalidArgument whose message names the field and the limit, so a caller can fix it without
/// reading server logs.
/// </summary>
internal sealed class RequestLimits(IOptions<ServerOptions> serverOptions, IOptions<SemanticCacheOptions> cacheOptions)
{
    private readonly ServerOptions _server = serverOptions.Value;
    private readonly SemanticCacheOptions _cache = cacheOptions.Value;
    private readonly RequestValidator _validator = new(cacheOptions.Value);

    public int Dimensions => _cache.Dimensions;

    public int MaxBatchSize => _server.MaxBatchSize;

    public void Check(V1.LookupRequest request, string field = "")
    {
        CheckScope(request.Scope, Name(field, "scope"));
        if (request.HasPrompt)
        {
            Engine(Name(field, "prompt"), (_validator, request.Prompt), static s => s._validator.Prompt(s.Prompt, required: true));
        }
        else if (request.Vector.Count == 0)
        {
            throw Invalid($"{Name(field, "prompt")} or {Name(field, "vector")} is required");
        }

        CheckVector(request.Vector, Name(field, "vector"));
        CheckContext(request.Context, Name(field, "context"));
        if (request.HasMinSimilarity)
        {
            Engine(Name(field, "min_similarity"), request.MinSimilarity, static m => RequestValidator.MinSimilarity(m));
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

        Engine("prompt", () => _validator.Prompt(request.Prompt, required: true));
        Engine("response", () => _validator.Response(request.Response));
        CheckVector(request.Vector, "vector");
        CheckContext(request.Context, "context");
        Engine("tags", () => _validator.Tags(request.Tags));
        if (request.TimeToLive is { } ttl)
        {
            CheckDuration(ttl, "time_to_live", TimeSpan.MaxValue, "the largest duration");
            Engine("time_to_live", () => _validator.TimeToLive(ttl.ToTimeSpan()));
        }

        if (request.Usage is { } usage)
        {
            Engine("usage", () => RequestValidator.Usage(new CacheUsage(usage.InputTokens, usage.OutputTokens, usage.Cost)));
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
        if (vector.Count != 0)
        {
            Engine(field, (_validator, vector, field), static s => s._validator.VectorShape(s.vector, s.field));
        }
    }

    /// <summary>Runs one of the engine's rules; its ArgumentException becomes InvalidArgument on the proto field.</summary>
    private static void Engine(string field, Action check)
    {
        try
        {
            check();
        }
        catch (ArgumentException e)
        {
            throw RichStatus.InvalidArgument(field, RichStatus.MessageOf(e));
        }
    }

    /// <summary>
    /// <see cref="Engine(string, Action)"/> with the rule's arguments passed in, for the lookup path: a
    /// static rule with state allocates nothing, where a closure over the request is an object per call.
    /// </summary>
    private static void Engine<TState>(string field, TState state, Action<TState> check)
    {
        try
        {
            check(state);
        }
        catch (ArgumentException e)
        {
            throw RichStatus.InvalidArgument(field, RichStatus.MessageOf(e));
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
