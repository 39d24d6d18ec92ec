namespace SemCache;

/// <summary>How a lookup was answered.</summary>
public enum CacheHitKind
{
    /// <summary>No entry may be served; call the LLM.</summary>
    Miss = 0,

    /// <summary>The same prompt in the same scope and context was stored.</summary>
    Exact = 1,

    /// <summary>A prompt that means the same passed the similarity threshold and the verifier.</summary>
    Semantic = 2,
}

/// <summary>The answer to a lookup.</summary>
public sealed record CacheLookupResult
{
    /// <summary>Exact, semantic or miss.</summary>
    public CacheHitKind Kind { get; init; }

    /// <summary>True for exact and semantic hits.</summary>
    public bool IsHit => Kind != CacheHitKind.Miss;

    /// <summary>The entry served (0 on a miss).</summary>
    public long EntryId { get; init; }

    /// <summary>The stored answer (null on a miss).</summary>
    public string? Response { get; init; }

    /// <summary>
    /// Cosine similarity between the query and the entry served (1 for exact hits). On a miss, the
    /// best similarity seen, or 0 when nothing was compared.
    /// </summary>
    public float Similarity { get; init; }

    /// <summary>How long ago the entry was stored.</summary>
    public TimeSpan Age { get; init; }

    /// <summary>What the entry cost to produce: what this hit saved.</summary>
    public CacheUsage? Usage { get; init; }

    /// <summary>The entry's tags.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>
    /// Why the answer is what it is: for a hit, the checks it passed; for a miss, the vetoes that
    /// refused candidates (e.g. <c>veto:number</c>) or why nothing was searched (e.g. <c>deadline</c>).
    /// </summary>
    public IReadOnlyList<string> Reasons { get; init; } = [];

    /// <summary>A miss with optional reasons.</summary>
    public static CacheLookupResult Miss(float bestSimilarity = 0, IReadOnlyList<string>? reasons = null) =>
        new() { Kind = CacheHitKind.Miss, Similarity = bestSimilarity, Reasons = reasons ?? [] };
}

/// <summary>The answer to a store.</summary>
/// <param name="EntryId">Id of the stored entry.</param>
/// <param name="Replaced">True when an entry with the same scope, context and prompt was replaced.</param>
public sealed record CacheStoreResult(long EntryId, bool Replaced);

/// <summary>The answer to a get-or-create.</summary>
/// <param name="Lookup">The hit, or for a created entry a result describing the stored answer.</param>
/// <param name="Created">True when this call's factory ran and its answer was stored.</param>
/// <param name="Coalesced">True when this call awaited another caller's factory.</param>
public sealed record CacheGetOrCreateResult(CacheLookupResult Lookup, bool Created, bool Coalesced);

/// <summary>Counters and sizes of a tenant or of the whole cache.</summary>
public sealed record CacheStats
{
    /// <summary>The tenant, or null for the whole cache.</summary>
    public string? Tenant { get; init; }

    /// <summary>Live entries.</summary>
    public long Entries { get; init; }

    /// <summary>Bytes held by live entries (prompt, response, vector, metadata).</summary>
    public long Bytes { get; init; }

    /// <summary>Partitions (tenant, scope, context) holding entries.</summary>
    public long Partitions { get; init; }

    /// <summary>Lookups served.</summary>
    public long Lookups { get; init; }

    /// <summary>Exact hits.</summary>
    public long ExactHits { get; init; }

    /// <summary>Semantic hits.</summary>
    public long SemanticHits { get; init; }

    /// <summary>Misses.</summary>
    public long Misses { get; init; }

    /// <summary>Candidates above the threshold refused by the verifier.</summary>
    public long Vetoes { get; init; }

    /// <summary>Stores.</summary>
    public long Stores { get; init; }

    /// <summary>Entries removed to respect capacity.</summary>
    public long Evictions { get; init; }

    /// <summary>Entries removed because their time to live ran out.</summary>
    public long Expirations { get; init; }

    /// <summary>Entries removed by invalidation.</summary>
    public long Invalidations { get; init; }

    /// <summary>Lookups answered as a miss with reason <c>explore</c> by the error budget (see <see cref="ErrorBudgetOptions.ExplorationRate"/>).</summary>
    public long Explorations { get; init; }

    /// <summary>Labels the error budget recorded (hit feedback and compared answers).</summary>
    public long BudgetLabels { get; init; }

    /// <summary>Input plus output tokens that hits did not have to buy.</summary>
    public long TokensSaved { get; init; }

    /// <summary>Money that hits saved, in the currency of <see cref="CacheUsage.Cost"/>.</summary>
    public double CostSaved { get; init; }

    /// <summary>
    /// Partitions by the kernels that score them and their vector encoding, e.g. <c>native/int8</c> → 3 (<c>native</c>:
    /// libsemcache_kernels; <c>managed</c>: the .NET kernels). Null where not reported (e.g. by a remote client).
    /// </summary>
    public IReadOnlyDictionary<string, long>? PartitionKernels { get; init; }

    /// <summary>
    /// Where batch lookups compute similarity (<c>cpu</c>, <c>ilgpu-cuda:&lt;device&gt;</c>,
    /// <c>ilgpu-cpu</c>), or null when the cache does not say (a remote cache).
    /// </summary>
    public string? BatchAccelerator { get; init; }

    /// <summary>Bytes the batch similarity scorer holds on its device (copies of partitions; 0 on the CPU).</summary>
    public long BatchDeviceBytes { get; init; }

    /// <summary>Hit rate over all lookups (0 when there were none).</summary>
    public double HitRate => Lookups == 0 ? 0 : (double)(ExactHits + SemanticHits) / Lookups;

    /// <summary>Currency of every money figure (the pricing table's).</summary>
    public string Currency { get; init; } = "USD";

    /// <summary>Lookups, hits and money per tenant, feature and model (embedded engine; empty from a server that does not report them).</summary>
    public IReadOnlyList<CacheCostLine> Costs { get; init; } = [];

    /// <summary>Budgets that watch this tenant (or every budget, for the whole cache), with their current window.</summary>
    public IReadOnlyList<CacheBudgetStatus> Budgets { get; init; } = [];

    /// <summary>Savings per interval, oldest first (the whole cache's, also in a tenant's stats).</summary>
    public IReadOnlyList<CacheSavingsPoint> SavingsOverTime { get; init; } = [];
}
