namespace SemCache;

/// <summary>
/// A spend budget and hit-rate floor for a tenant, a feature, or both, per time window. Crossing either logs a
/// warning, sets the <c>semcache.budget.breached</c> metric to 1 and shows on the dashboard and in
/// <see cref="CacheStats.Budgets"/>; the cache keeps serving (a budget alerts, it does not block). Budgets are named
/// by their key in <see cref="SemanticCacheOptions.Budgets"/> (configuration: <c>SemCache:Budgets:NAME:MaxSpend</c>).
/// </summary>
public sealed class CacheBudget
{
    /// <summary>The tenant the budget watches; null watches every tenant together.</summary>
    public string? Tenant { get; set; }

    /// <summary>The feature the budget watches; null watches every feature together.</summary>
    public string? Feature { get; set; }

    /// <summary>
    /// Most money the misses may cost per window: the cost of the answers the application stores (reported
    /// <see cref="CacheUsage.Cost"/>, or its tokens priced by the pricing table). Null for no spend budget.
    /// </summary>
    public double? MaxSpend { get; set; }

    /// <summary>Lowest acceptable hit rate per window (0 to 1). Null for no floor.</summary>
    public double? MinHitRate { get; set; }

    /// <summary>Lookups a window needs before its hit rate is judged, so a quiet start does not alert. Default 50.</summary>
    public int MinLookups { get; set; } = 50;

    /// <summary>Length of a budget window; windows are consecutive and start at multiples of it (UTC). Default 1 day.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromDays(1);
}

/// <summary>A budget's current window.</summary>
public sealed record CacheBudgetStatus
{
    /// <summary>The budget's name.</summary>
    public required string Name { get; init; }

    /// <summary>The tenant watched, or null for all.</summary>
    public string? Tenant { get; init; }

    /// <summary>The feature watched, or null for all.</summary>
    public string? Feature { get; init; }

    /// <summary>Start of the current window (UTC).</summary>
    public DateTimeOffset WindowStart { get; init; }

    /// <summary>Cost of misses stored in this window.</summary>
    public double Spend { get; init; }

    /// <summary>The spend budget, or null.</summary>
    public double? MaxSpend { get; init; }

    /// <summary>Lookups in this window.</summary>
    public long Lookups { get; init; }

    /// <summary>Hit rate in this window (0 when there were no lookups).</summary>
    public double HitRate { get; init; }

    /// <summary>The hit-rate floor, or null.</summary>
    public double? MinHitRate { get; init; }

    /// <summary>True when this window's spend is above <see cref="MaxSpend"/>.</summary>
    public bool SpendExceeded { get; init; }

    /// <summary>True when this window has enough lookups and its hit rate is below <see cref="MinHitRate"/>.</summary>
    public bool HitRateBelowFloor { get; init; }
}

/// <summary>Lookups, hits and money for one tenant, feature and model.</summary>
public sealed record CacheCostLine
{
    /// <summary>The tenant.</summary>
    public required string Tenant { get; init; }

    /// <summary>The feature named by the requests (empty when none was named).</summary>
    public required string Feature { get; init; }

    /// <summary>The model of the requests' scope.</summary>
    public required string Model { get; init; }

    /// <summary>Lookups.</summary>
    public long Lookups { get; init; }

    /// <summary>Exact hits.</summary>
    public long ExactHits { get; init; }

    /// <summary>Semantic hits.</summary>
    public long SemanticHits { get; init; }

    /// <summary>Misses.</summary>
    public long Misses { get; init; }

    /// <summary>Answers stored.</summary>
    public long Stores { get; init; }

    /// <summary>Input plus output tokens hits did not buy.</summary>
    public long TokensSaved { get; init; }

    /// <summary>Money hits saved.</summary>
    public double CostSaved { get; init; }

    /// <summary>Money the stored answers (the misses) cost.</summary>
    public double Spend { get; init; }

    /// <summary>
    /// Estimated time hits saved the callers: hits times the mean <see cref="CacheStoreRequest.CallDuration"/> of this
    /// line's stores (zero until a store reported one).
    /// </summary>
    public TimeSpan LatencySaved { get; init; }

    /// <summary>Hit rate (0 when there were no lookups).</summary>
    public double HitRate => Lookups == 0 ? 0 : (double)(ExactHits + SemanticHits) / Lookups;
}

/// <summary>Savings in one interval of <see cref="CacheStats.SavingsOverTime"/>.</summary>
/// <param name="Start">Start of the interval (UTC).</param>
/// <param name="Lookups">Lookups in it.</param>
/// <param name="Hits">Hits in it.</param>
/// <param name="TokensSaved">Tokens hits did not buy.</param>
/// <param name="CostSaved">Money hits saved.</param>
/// <param name="Spend">Money the stored misses cost.</param>
public sealed record CacheSavingsPoint(DateTimeOffset Start, long Lookups, long Hits, long TokensSaved, double CostSaved, double Spend);
