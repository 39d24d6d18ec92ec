namespace SemCache.Extensions.AI;

/// <summary>
/// Keys of <c>ChatOptions.AdditionalProperties</c> that steer <see cref="SemanticCachingChatClient"/> for one call,
/// and keys of <c>ChatResponse.AdditionalProperties</c> (and of the updates of a replayed stream) that describe how
/// the call was answered. None of the request keys is part of the cache scope.
/// </summary>
public static class SemanticCacheChatProperties
{
    /// <summary>Request: <c>true</c> skips the cache for this call: no lookup, no store.</summary>
    public const string NoCache = "no-cache";

    /// <summary>Request: <c>true</c> looks up but never stores this call's answer.</summary>
    public const string NoStore = "no-store";

    /// <summary>Request: time to live of the stored answer, a <see cref="TimeSpan"/> or a number of seconds.</summary>
    public const string TimeToLive = "ttl";

    /// <summary>Request: tags of the stored answer (for invalidation), a list of strings or one comma-separated string.</summary>
    public const string Tags = "tags";

    /// <summary>Request: the application feature this call serves, for cost accounting per feature.</summary>
    public const string Feature = "feature";

    /// <summary>Response: how the call was answered, <c>exact</c>, <c>semantic</c> or <c>miss</c> (absent when the cache was not used).</summary>
    public const string HitKind = "semcache.hit";

    /// <summary>Response: similarity of the entry served (1 for exact hits), or the best similarity seen on a miss.</summary>
    public const string Similarity = "semcache.similarity";

    /// <summary>Response: id of the entry served (hits) or stored (misses whose answer was stored).</summary>
    public const string EntryId = "semcache.entryId";

    /// <summary>Response: input plus output tokens the hit did not have to buy.</summary>
    public const string TokensSaved = "semcache.tokensSaved";

    /// <summary>Response: money the hit saved, priced by the pricing table (or the stored cost for unlisted models).</summary>
    public const string CostSaved = "semcache.costSaved";

    /// <summary>Response: why the lookup answered as it did (e.g. <c>similarity:0.9567</c>, <c>veto:number</c>).</summary>
    public const string Reasons = "semcache.reasons";
}
