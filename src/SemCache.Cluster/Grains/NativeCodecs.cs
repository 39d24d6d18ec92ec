using Orleans;

namespace SemCache.Cluster.Grains;

// Orleans-native encodings (surrogates) of the engine records that cross silos on every forwarded call: lookups,
// their results and stores. JSON (ClusterHosting's codec for the rest of the SemCache namespace) costs a text
// encoding of every vector float and reflection over each record; these are written field by field in Orleans'
// binary format. A property added to one of these records must be added to its surrogate too: the round-trip
// test (NativeCodecTests) fills every property and fails when one is lost.

/// <summary>The records encoded here instead of by the JSON codec.</summary>
internal static class NativeCodecs
{
    public static readonly IReadOnlySet<Type> Types = new HashSet<Type>
    {
        typeof(CacheLookupRequest),
        typeof(CacheLookupResult),
        typeof(CacheStoreRequest),
        typeof(CacheStoreResult),
        typeof(CacheScope),
        typeof(CacheSampling),
        typeof(ConversationTurn),
        typeof(CacheUsage),
    };

    public static ConversationTurn[]? Turns(IReadOnlyList<ConversationTurn>? turns) => turns is null ? null : [.. turns];

    public static string[]? Strings(IReadOnlyList<string>? values) => values is null ? null : [.. values];

    public static float[]? Floats(ReadOnlyMemory<float>? vector) => vector is { } v ? v.ToArray() : null;
}

[GenerateSerializer, Alias("semcache.n.scope")]
internal struct ScopeSurrogate
{
    [Id(0)] public string Model;
    [Id(1)] public string? SystemPrompt;
    [Id(2)] public string? SystemPromptHash;
    [Id(3)] public string[]? Tools;
    [Id(4)] public CacheSampling? Sampling;
    [Id(5)] public Dictionary<string, string>? Extra;
}

[RegisterConverter]
internal sealed class ScopeConverter : IConverter<CacheScope, ScopeSurrogate>
{
    public CacheScope ConvertFromSurrogate(in ScopeSurrogate surrogate) => new()
    {
        Model = surrogate.Model,
        SystemPrompt = surrogate.SystemPrompt,
        SystemPromptHash = surrogate.SystemPromptHash,
        Tools = surrogate.Tools,
        Sampling = surrogate.Sampling,
        Extra = surrogate.Extra,
    };

    public ScopeSurrogate ConvertToSurrogate(in CacheScope value) => new()
    {
        Model = value.Model,
        SystemPrompt = value.SystemPrompt,
        SystemPromptHash = value.SystemPromptHash,
        Tools = NativeCodecs.Strings(value.Tools),
        Sampling = value.Sampling,
        Extra = value.Extra is null ? null : new Dictionary<string, string>(value.Extra, StringComparer.Ordinal),
    };
}

[GenerateSerializer, Alias("semcache.n.sampling")]
internal struct SamplingSurrogate
{
    [Id(0)] public float? Temperature;
    [Id(1)] public float? TopP;
    [Id(2)] public int? TopK;
    [Id(3)] public int? MaxOutputTokens;
    [Id(4)] public long? Seed;
    [Id(5)] public string? ResponseFormat;
}

[RegisterConverter]
internal sealed class SamplingConverter : IConverter<CacheSampling, SamplingSurrogate>
{
    public CacheSampling ConvertFromSurrogate(in SamplingSurrogate surrogate) => new()
    {
        Temperature = surrogate.Temperature,
        TopP = surrogate.TopP,
        TopK = surrogate.TopK,
        MaxOutputTokens = surrogate.MaxOutputTokens,
        Seed = surrogate.Seed,
        ResponseFormat = surrogate.ResponseFormat,
    };

    public SamplingSurrogate ConvertToSurrogate(in CacheSampling value) => new()
    {
        Temperature = value.Temperature,
        TopP = value.TopP,
        TopK = value.TopK,
        MaxOutputTokens = value.MaxOutputTokens,
        Seed = value.Seed,
        ResponseFormat = value.ResponseFormat,
    };
}

[GenerateSerializer, Alias("semcache.n.turn")]
internal struct TurnSurrogate
{
    [Id(0)] public string Role;
    [Id(1)] public string Text;
}

[RegisterConverter]
internal sealed class TurnConverter : IConverter<ConversationTurn, TurnSurrogate>
{
    public ConversationTurn ConvertFromSurrogate(in TurnSurrogate surrogate) => new(surrogate.Role, surrogate.Text);

    public TurnSurrogate ConvertToSurrogate(in ConversationTurn value) => new() { Role = value.Role, Text = value.Text };
}

[GenerateSerializer, Alias("semcache.n.usage")]
internal struct UsageSurrogate
{
    [Id(0)] public long InputTokens;
    [Id(1)] public long OutputTokens;
    [Id(2)] public double Cost;
}

[RegisterConverter]
internal sealed class UsageConverter : IConverter<CacheUsage, UsageSurrogate>
{
    public CacheUsage ConvertFromSurrogate(in UsageSurrogate surrogate) => new(surrogate.InputTokens, surrogate.OutputTokens, surrogate.Cost);

    public UsageSurrogate ConvertToSurrogate(in CacheUsage value) => new() { InputTokens = value.InputTokens, OutputTokens = value.OutputTokens, Cost = value.Cost };
}

[GenerateSerializer, Alias("semcache.n.lookup")]
internal struct LookupRequestSurrogate
{
    [Id(0)] public string Tenant;
    [Id(1)] public CacheScope Scope;
    [Id(2)] public string? Prompt;
    [Id(3)] public float[]? Vector;
    [Id(4)] public ConversationTurn[]? Context;
    [Id(5)] public int Mode;
    [Id(6)] public float? MinSimilarity;
    [Id(7)] public TimeSpan? MaxAge;
    [Id(8)] public string? Feature;
}

[RegisterConverter]
internal sealed class LookupRequestConverter : IConverter<CacheLookupRequest, LookupRequestSurrogate>
{
    public CacheLookupRequest ConvertFromSurrogate(in LookupRequestSurrogate surrogate) => new()
    {
        Tenant = surrogate.Tenant,
        Scope = surrogate.Scope,
        Prompt = surrogate.Prompt,
        Vector = surrogate.Vector is { } v ? (ReadOnlyMemory<float>?)v : null,
        Context = surrogate.Context,
        Mode = (CacheLookupMode)surrogate.Mode,
        MinSimilarity = surrogate.MinSimilarity,
        MaxAge = surrogate.MaxAge,
        Feature = surrogate.Feature,
    };

    public LookupRequestSurrogate ConvertToSurrogate(in CacheLookupRequest value) => new()
    {
        Tenant = value.Tenant,
        Scope = value.Scope,
        Prompt = value.Prompt,
        Vector = NativeCodecs.Floats(value.Vector),
        Context = NativeCodecs.Turns(value.Context),
        Mode = (int)value.Mode,
        MinSimilarity = value.MinSimilarity,
        MaxAge = value.MaxAge,
        Feature = value.Feature,
    };
}

[GenerateSerializer, Alias("semcache.n.result")]
internal struct LookupResultSurrogate
{
    [Id(0)] public int Kind;
    [Id(1)] public long EntryId;
    [Id(2)] public string? Response;
    [Id(3)] public float Similarity;
    [Id(4)] public TimeSpan Age;
    [Id(5)] public CacheUsage? Usage;
    [Id(6)] public string[] Tags;
    [Id(7)] public string[] Reasons;
}

[RegisterConverter]
internal sealed class LookupResultConverter : IConverter<CacheLookupResult, LookupResultSurrogate>
{
    public CacheLookupResult ConvertFromSurrogate(in LookupResultSurrogate surrogate) => new()
    {
        Kind = (CacheHitKind)surrogate.Kind,
        EntryId = surrogate.EntryId,
        Response = surrogate.Response,
        Similarity = surrogate.Similarity,
        Age = surrogate.Age,
        Usage = surrogate.Usage,
        Tags = surrogate.Tags ?? [],
        Reasons = surrogate.Reasons ?? [],
    };

    public LookupResultSurrogate ConvertToSurrogate(in CacheLookupResult value) => new()
    {
        Kind = (int)value.Kind,
        EntryId = value.EntryId,
        Response = value.Response,
        Similarity = value.Similarity,
        Age = value.Age,
        Usage = value.Usage,
        Tags = NativeCodecs.Strings(value.Tags) ?? [],
        Reasons = NativeCodecs.Strings(value.Reasons) ?? [],
    };
}

[GenerateSerializer, Alias("semcache.n.store")]
internal struct StoreRequestSurrogate
{
    [Id(0)] public string Tenant;
    [Id(1)] public CacheScope Scope;
    [Id(2)] public string Prompt;
    [Id(3)] public string Response;
    [Id(4)] public float[]? Vector;
    [Id(5)] public ConversationTurn[]? Context;
    [Id(6)] public string[]? Tags;
    [Id(7)] public TimeSpan? TimeToLive;
    [Id(8)] public CacheUsage? Usage;
    [Id(9)] public string? Feature;
    [Id(10)] public TimeSpan? CallDuration;
}

[RegisterConverter]
internal sealed class StoreRequestConverter : IConverter<CacheStoreRequest, StoreRequestSurrogate>
{
    public CacheStoreRequest ConvertFromSurrogate(in StoreRequestSurrogate surrogate) => new()
    {
        Tenant = surrogate.Tenant,
        Scope = surrogate.Scope,
        Prompt = surrogate.Prompt,
        Response = surrogate.Response,
        Vector = surrogate.Vector is { } v ? (ReadOnlyMemory<float>?)v : null,
        Context = surrogate.Context,
        Tags = surrogate.Tags,
        TimeToLive = surrogate.TimeToLive,
        Usage = surrogate.Usage,
        Feature = surrogate.Feature,
        CallDuration = surrogate.CallDuration,
    };

    public StoreRequestSurrogate ConvertToSurrogate(in CacheStoreRequest value) => new()
    {
        Tenant = value.Tenant,
        Scope = value.Scope,
        Prompt = value.Prompt,
        Response = value.Response,
        Vector = NativeCodecs.Floats(value.Vector),
        Context = NativeCodecs.Turns(value.Context),
        Tags = NativeCodecs.Strings(value.Tags),
        TimeToLive = value.TimeToLive,
        Usage = value.Usage,
        Feature = value.Feature,
        CallDuration = value.CallDuration,
    };
}

[GenerateSerializer, Alias("semcache.n.stored")]
internal struct StoreResultSurrogate
{
    [Id(0)] public long EntryId;
    [Id(1)] public bool Replaced;
}

[RegisterConverter]
internal sealed class StoreResultConverter : IConverter<CacheStoreResult, StoreResultSurrogate>
{
    public CacheStoreResult ConvertFromSurrogate(in StoreResultSurrogate surrogate) => new(surrogate.EntryId, surrogate.Replaced);

    public StoreResultSurrogate ConvertToSurrogate(in CacheStoreResult value) => new() { EntryId = value.EntryId, Replaced = value.Replaced };
}
