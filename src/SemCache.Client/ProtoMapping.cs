using Google.Protobuf.WellKnownTypes;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Client;

/// <summary>
/// Converts between the <see cref="ISemanticCache"/> types and the semcache.v1 messages, in both
/// directions: the client maps requests out and results in, the server the other way round.
/// </summary>
internal static class ProtoMapping
{
    public static V1.Scope ToProto(CacheScope scope)
    {
        var message = new V1.Scope { Model = scope.Model ?? string.Empty };
        if (scope.SystemPrompt is not null)
        {
            message.SystemPrompt = scope.SystemPrompt;
        }

        if (scope.SystemPromptHash is not null)
        {
            message.SystemPromptHash = scope.SystemPromptHash;
        }

        if (scope.Tools is not null)
        {
            message.Tools.AddRange(scope.Tools);
        }

        if (scope.Sampling is { } s)
        {
            var sampling = new V1.Sampling();
            if (s.Temperature is { } t)
            {
                sampling.Temperature = t;
            }

            if (s.TopP is { } p)
            {
                sampling.TopP = p;
            }

            if (s.TopK is { } k)
            {
                sampling.TopK = k;
            }

            if (s.MaxOutputTokens is { } m)
            {
                sampling.MaxOutputTokens = m;
            }

            if (s.Seed is { } seed)
            {
                sampling.Seed = seed;
            }

            if (s.ResponseFormat is not null)
            {
                sampling.ResponseFormat = s.ResponseFormat;
            }

            message.Sampling = sampling;
        }

        if (scope.Extra is not null)
        {
            foreach (var (key, value) in scope.Extra)
            {
                message.Extra[key] = value;
            }
        }

        return message;
    }

    public static CacheScope FromProto(V1.Scope? scope)
    {
        if (scope is null)
        {
            return new CacheScope { Model = string.Empty };
        }

        CacheSampling? sampling = null;
        if (scope.Sampling is { } s)
        {
            sampling = new CacheSampling
            {
                Temperature = s.HasTemperature ? s.Temperature : null,
                TopP = s.HasTopP ? s.TopP : null,
                TopK = s.HasTopK ? s.TopK : null,
                MaxOutputTokens = s.HasMaxOutputTokens ? s.MaxOutputTokens : null,
                Seed = s.HasSeed ? s.Seed : null,
                ResponseFormat = s.HasResponseFormat ? s.ResponseFormat : null,
            };
        }

        return new CacheScope
        {
            Model = scope.Model,
            SystemPrompt = scope.HasSystemPrompt ? scope.SystemPrompt : null,
            SystemPromptHash = scope.HasSystemPromptHash ? scope.SystemPromptHash : null,
            Tools = scope.Tools.Count == 0 ? null : [.. scope.Tools],
            Sampling = sampling,
            Extra = scope.Extra.Count == 0 ? null : new Dictionary<string, string>(scope.Extra, StringComparer.Ordinal),
        };
    }

    public static V1.LookupRequest ToProto(CacheLookupRequest request)
    {
        var message = new V1.LookupRequest
        {
            Scope = ToProto(request.Scope),
            Mode = request.Mode == CacheLookupMode.ExactOnly ? V1.LookupMode.ExactOnly : V1.LookupMode.ExactAndSemantic,
        };
        if (request.Prompt is not null)
        {
            message.Prompt = request.Prompt;
        }

        if (request.Vector is { } vector)
        {
            message.Vector.AddRange(vector.ToArray());
        }

        AddTurns(message.Context, request.Context);
        if (request.MinSimilarity is { } min)
        {
            message.MinSimilarity = min;
        }

        if (request.MaxAge is { } maxAge)
        {
            message.MaxAge = Duration.FromTimeSpan(maxAge);
        }

        if (request.Feature is not null)
        {
            message.Feature = request.Feature;
        }

        return message;
    }

    public static CacheLookupRequest FromProto(V1.LookupRequest message, string tenant) => new()
    {
        Tenant = tenant,
        Scope = FromProto(message.Scope),
        Prompt = message.HasPrompt ? message.Prompt : null,
        Vector = VectorOf(message.Vector),
        Context = TurnsOf(message.Context),
        Mode = message.Mode == V1.LookupMode.ExactOnly ? CacheLookupMode.ExactOnly : CacheLookupMode.ExactAndSemantic,
        MinSimilarity = message.HasMinSimilarity ? message.MinSimilarity : null,
        MaxAge = message.MaxAge?.ToTimeSpan(),
        Feature = message.HasFeature ? message.Feature : null,
    };

    public static V1.StoreRequest ToProto(CacheStoreRequest request)
    {
        var message = new V1.StoreRequest
        {
            Scope = ToProto(request.Scope),
            Prompt = request.Prompt ?? string.Empty,
            Response = request.Response ?? string.Empty,
        };
        if (request.Vector is { } vector)
        {
            message.Vector.AddRange(vector.ToArray());
        }

        AddTurns(message.Context, request.Context);
        if (request.Tags is not null)
        {
            message.Tags.AddRange(request.Tags);
        }

        if (request.TimeToLive is { } ttl)
        {
            message.TimeToLive = Duration.FromTimeSpan(ttl);
        }

        if (request.Usage is { } usage)
        {
            message.Usage = ToProto(usage);
        }

        if (request.CallDuration is { } duration)
        {
            message.CallDuration = Duration.FromTimeSpan(duration);
        }

        if (request.Feature is not null)
        {
            message.Feature = request.Feature;
        }

        return message;
    }

    public static CacheStoreRequest FromProto(V1.StoreRequest message, string tenant) => new()
    {
        Tenant = tenant,
        Scope = FromProto(message.Scope),
        Prompt = message.Prompt,
        Response = message.Response,
        Vector = VectorOf(message.Vector),
        Context = TurnsOf(message.Context),
        Tags = message.Tags.Count == 0 ? null : [.. message.Tags],
        TimeToLive = message.TimeToLive?.ToTimeSpan(),
        Usage = message.Usage is null ? null : FromProto(message.Usage),
        Feature = message.HasFeature ? message.Feature : null,
        CallDuration = message.CallDuration?.ToTimeSpan(),
    };

    public static V1.LookupResponse ToProto(CacheLookupResult result)
    {
        var message = new V1.LookupResponse
        {
            Kind = result.Kind switch
            {
                CacheHitKind.Exact => V1.HitKind.Exact,
                CacheHitKind.Semantic => V1.HitKind.Semantic,
                _ => V1.HitKind.Miss,
            },
            EntryId = result.EntryId,
            Similarity = result.Similarity,
        };
        if (result.Response is not null)
        {
            message.Response = result.Response;
        }

        if (result.IsHit)
        {
            message.Age = Duration.FromTimeSpan(result.Age < TimeSpan.Zero ? TimeSpan.Zero : result.Age);
        }

        if (result.Usage is { } usage)
        {
            message.Usage = ToProto(usage);
        }

        message.Tags.AddRange(result.Tags);
        message.Reasons.AddRange(result.Reasons);
        return message;
    }

    public static CacheLookupResult FromProto(V1.LookupResponse message) => new()
    {
        // An enum value this client does not know is treated as a miss: never serve what we cannot interpret.
        Kind = message.Kind switch
        {
            V1.HitKind.Exact => CacheHitKind.Exact,
            V1.HitKind.Semantic => CacheHitKind.Semantic,
            _ => CacheHitKind.Miss,
        },
        EntryId = message.EntryId,
        Response = message.HasResponse ? message.Response : null,
        Similarity = message.Similarity,
        Age = message.Age?.ToTimeSpan() ?? TimeSpan.Zero,
        Usage = message.Usage is null ? null : FromProto(message.Usage),
        Tags = message.Tags.Count == 0 ? [] : [.. message.Tags],
        Reasons = message.Reasons.Count == 0 ? [] : [.. message.Reasons],
    };

    public static V1.StatsResponse ToProto(CacheStats stats) => new()
    {
        Tenant = stats.Tenant ?? string.Empty,
        Entries = stats.Entries,
        Bytes = stats.Bytes,
        Partitions = stats.Partitions,
        Lookups = stats.Lookups,
        ExactHits = stats.ExactHits,
        SemanticHits = stats.SemanticHits,
        Misses = stats.Misses,
        Vetoes = stats.Vetoes,
        Stores = stats.Stores,
        Evictions = stats.Evictions,
        Expirations = stats.Expirations,
        Invalidations = stats.Invalidations,
        TokensSaved = stats.TokensSaved,
        CostSaved = stats.CostSaved,
        HitRate = stats.HitRate,
        Explorations = stats.Explorations,
        BudgetLabels = stats.BudgetLabels,
    };

    public static CacheStats FromProto(V1.StatsResponse message) => new()
    {
        Tenant = message.Tenant.Length == 0 ? null : message.Tenant,
        Entries = message.Entries,
        Bytes = message.Bytes,
        Partitions = message.Partitions,
        Lookups = message.Lookups,
        ExactHits = message.ExactHits,
        SemanticHits = message.SemanticHits,
        Misses = message.Misses,
        Vetoes = message.Vetoes,
        Stores = message.Stores,
        Evictions = message.Evictions,
        Expirations = message.Expirations,
        Invalidations = message.Invalidations,
        TokensSaved = message.TokensSaved,
        CostSaved = message.CostSaved,
        Explorations = message.Explorations,
        BudgetLabels = message.BudgetLabels,
    };

    public static V1.Usage ToProto(CacheUsage usage) => new()
    {
        InputTokens = usage.InputTokens,
        OutputTokens = usage.OutputTokens,
        Cost = usage.Cost,
    };

    public static CacheUsage FromProto(V1.Usage usage) => new(usage.InputTokens, usage.OutputTokens, usage.Cost);

    private static ReadOnlyMemory<float>? VectorOf(Google.Protobuf.Collections.RepeatedField<float> values)
    {
        // An empty repeated field means "no vector"; the explicit null keeps it from becoming an empty memory.
        if (values.Count == 0)
        {
            return null;
        }

        var vector = new float[values.Count];
        values.CopyTo(vector, 0);
        return vector;
    }

    private static List<ConversationTurn>? TurnsOf(Google.Protobuf.Collections.RepeatedField<V1.ConversationTurn> turns)
    {
        if (turns.Count == 0)
        {
            return null;
        }

        var list = new List<ConversationTurn>(turns.Count);
        foreach (var turn in turns)
        {
            list.Add(new ConversationTurn(turn.Role, turn.Text));
        }

        return list;
    }

    private static void AddTurns(Google.Protobuf.Collections.RepeatedField<V1.ConversationTurn> target, IReadOnlyList<ConversationTurn>? turns)
    {
        if (turns is null)
        {
            return;
        }

        foreach (var turn in turns)
        {
            target.Add(new V1.ConversationTurn { Role = turn.Role ?? string.Empty, Text = turn.Text ?? string.Empty });
        }
    }
}
