namespace SemCache;

/// <summary>Which layers a lookup may use.</summary>
public enum CacheLookupMode
{
    /// <summary>Exact layer, then similarity search with verification.</summary>
    ExactAndSemantic = 0,

    /// <summary>Exact layer only.</summary>
    ExactOnly = 1,
}

/// <summary>A lookup: "has this, or something that means the same, been answered in this scope?"</summary>
public sealed record CacheLookupRequest
{
    /// <summary>The tenant. In the server it comes from the credentials, never from the caller.</summary>
    public required string Tenant { get; init; }

    /// <summary>The exact scope.</summary>
    public required CacheScope Scope { get; init; }

    /// <summary>The prompt (for a conversation, the latest user message). Required unless <see cref="Vector"/> is given.</summary>
    public string? Prompt { get; init; }

    /// <summary>A precomputed embedding of the prompt; skips the embedder. Must have the index's dimension.</summary>
    public ReadOnlyMemory<float>? Vector { get; init; }

    /// <summary>Earlier turns of the conversation; a follow-up only matches entries stored under the same context.</summary>
    public IReadOnlyList<ConversationTurn>? Context { get; init; }

    /// <summary>Layers to use.</summary>
    public CacheLookupMode Mode { get; init; }

    /// <summary>Overrides the configured similarity threshold for this lookup (0 to 1).</summary>
    public float? MinSimilarity { get; init; }

    /// <summary>Entries older than this are not served.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>
    /// The application feature this call serves (e.g. <c>support-bot</c>, <c>summarise</c>), for cost accounting:
    /// lookups, hits and money saved are counted per tenant, feature and model. Not part of the scope: two features
    /// asking the same question in the same scope share the answer. At most 128 characters.
    /// </summary>
    public string? Feature { get; init; }
}

/// <summary>An answer to store.</summary>
public sealed record CacheStoreRequest
{
    /// <summary>The tenant.</summary>
    public required string Tenant { get; init; }

    /// <summary>The exact scope.</summary>
    public required CacheScope Scope { get; init; }

    /// <summary>The prompt that was answered (for a conversation, the latest user message).</summary>
    public required string Prompt { get; init; }

    /// <summary>The answer.</summary>
    public required string Response { get; init; }

    /// <summary>A precomputed embedding of the prompt; skips the embedder.</summary>
    public ReadOnlyMemory<float>? Vector { get; init; }

    /// <summary>Earlier turns of the conversation.</summary>
    public IReadOnlyList<ConversationTurn>? Context { get; init; }

    /// <summary>Tags for invalidation (e.g. <c>doc:42</c>, <c>model-version:3</c>).</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Time to live; null uses the configured default.</summary>
    public TimeSpan? TimeToLive { get; init; }

    /// <summary>What the answer cost to produce; drives savings figures and cost-aware eviction.</summary>
    public CacheUsage? Usage { get; init; }

    /// <summary>
    /// The application feature this call serves (e.g. <c>support-bot</c>, <c>summarise</c>), for cost accounting:
    /// lookups, hits and money saved are counted per tenant, feature and model. Not part of the scope: two features
    /// asking the same question in the same scope share the answer. At most 128 characters.
    /// </summary>
    public string? Feature { get; init; }

    /// <summary>
    /// How long the LLM call that produced the answer took. Cost accounting estimates the latency hits save from it
    /// (<see cref="CacheCostLine.LatencySaved"/>). Not stored with the entry.
    /// </summary>
    public TimeSpan? CallDuration { get; init; }
}

/// <summary>Tokens and money an answer cost to produce.</summary>
/// <param name="InputTokens">Prompt tokens billed.</param>
/// <param name="OutputTokens">Completion tokens billed.</param>
/// <param name="Cost">Cost in the caller's currency (e.g. US dollars).</param>
public sealed record CacheUsage(long InputTokens, long OutputTokens, double Cost);

/// <summary>What a get-or-create factory produced.</summary>
public sealed record CacheFill
{
    /// <summary>The answer to store and return.</summary>
    public required string Response { get; init; }

    /// <summary>What it cost.</summary>
    public CacheUsage? Usage { get; init; }

    /// <summary>Tags.</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Time to live; null uses the configured default.</summary>
    public TimeSpan? TimeToLive { get; init; }
}

/// <summary>Which entries to remove.</summary>
public sealed record CacheInvalidation
{
    private CacheInvalidation(string tenant) => Tenant = tenant;

    /// <summary>The tenant whose entries are removed.</summary>
    public string Tenant { get; }

    /// <summary>Remove one entry.</summary>
    public long? EntryId { get; private init; }

    /// <summary>Remove every entry carrying this tag.</summary>
    public string? Tag { get; private init; }

    /// <summary>Remove every entry in this scope (all contexts).</summary>
    public CacheScope? Scope { get; private init; }

    /// <summary>One entry by id.</summary>
    public static CacheInvalidation ForEntry(string tenant, long entryId) => new(tenant) { EntryId = entryId };

    /// <summary>All entries of a tenant with a tag.</summary>
    public static CacheInvalidation ForTag(string tenant, string tag) => new(tenant) { Tag = tag };

    /// <summary>All entries of a tenant in a scope.</summary>
    public static CacheInvalidation ForScope(string tenant, CacheScope scope) => new(tenant) { Scope = scope };

    /// <summary>All entries of a tenant.</summary>
    public static CacheInvalidation ForTenant(string tenant) => new(tenant);
}

/// <summary>Feedback on a served hit.</summary>
/// <param name="Tenant">The tenant that was served.</param>
/// <param name="EntryId">The entry that was served.</param>
/// <param name="Correct">Whether the answer was right for the prompt.</param>
public sealed record CacheHitFeedback(string Tenant, long EntryId, bool Correct);
