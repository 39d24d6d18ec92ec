namespace SemCache;

/// <summary>Options of the prompt-prefix index (configuration section <c>SemCache:Prefix</c>).</summary>
public sealed class PrefixCacheOptions
{
    /// <summary>
    /// Secret the per-tenant hash seeds are derived from. Empty (the default): a random secret is created once and
    /// kept in <c>prefix/secret</c> under the data directory (per process when in memory).
    /// </summary>
    public string Secret { get; set; } = string.Empty;

    /// <summary>
    /// Tenants an administrator declares to share prefixes: tenant → group name. Tenants of one group share hash
    /// seeds, so their identical prompts match; every other tenant is salted with its own name.
    /// </summary>
    public Dictionary<string, string> SharedPrefixGroups { get; } = new(StringComparer.Ordinal);

    /// <summary>The chained hash: XXH3-128 (default) or SHA-256 (for deployments that want a cryptographic hash).</summary>
    public PrefixHashAlgorithm HashAlgorithm { get; set; } = PrefixHashAlgorithm.XxHash128;

    /// <summary>Blocks remembered per backend; beyond it the least recently used go (with the blocks after them). Default 262,144.</summary>
    public int MaxBlocksPerBackend { get; set; } = 262_144;

    /// <summary>Backends per tenant. Default 4,096.</summary>
    public int MaxBackendsPerTenant { get; set; } = 4_096;

    /// <summary>Tenants with backends. Default 10,000.</summary>
    public int MaxTenants { get; set; } = 10_000;

    /// <summary>Stored-block events buffered per backend while their parent is unknown; the oldest go first. Default 4,096.</summary>
    public int MaxPendingEventsPerBackend { get; set; } = 4_096;

    /// <summary>Longest prompt accepted, in tokens (and in characters for text). Default 1,048,576.</summary>
    public int MaxPromptTokens { get; set; } = 1 << 20;

    /// <summary>Recently routed prompts kept per tenant to explain misses. Default 64; 0 keeps none (no prompt text is retained).</summary>
    public int ExplainHistoryPerTenant { get; set; } = 64;

    /// <summary>Weight of the uncached share of a prompt against load when recommending a backend (Dynamo's overlap weight). Default 1.</summary>
    public double OverlapWeight { get; set; } = 1;

    /// <summary>How often the index is written to disk (also at shutdown). Default 1 minute.</summary>
    public TimeSpan PersistInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value <= 0) { throw new ArgumentException($"SemCache:Prefix:{name} must be positive, not {value}.", name); }
        }

        Positive(MaxBlocksPerBackend, nameof(MaxBlocksPerBackend));
        Positive(MaxBackendsPerTenant, nameof(MaxBackendsPerTenant));
        Positive(MaxTenants, nameof(MaxTenants));
        Positive(MaxPendingEventsPerBackend, nameof(MaxPendingEventsPerBackend));
        Positive(MaxPromptTokens, nameof(MaxPromptTokens));
        if (ExplainHistoryPerTenant < 0) { throw new ArgumentException($"SemCache:Prefix:ExplainHistoryPerTenant must be 0 or more, not {ExplainHistoryPerTenant}.", nameof(ExplainHistoryPerTenant)); }
        if (!double.IsFinite(OverlapWeight) || OverlapWeight < 0) { throw new ArgumentException($"SemCache:Prefix:OverlapWeight must be a finite number ≥ 0, not {OverlapWeight}.", nameof(OverlapWeight)); }
        if (PersistInterval <= TimeSpan.Zero) { throw new ArgumentException($"SemCache:Prefix:PersistInterval must be positive, not {PersistInterval}.", nameof(PersistInterval)); }
        if (!Enum.IsDefined(HashAlgorithm)) { throw new ArgumentException($"SemCache:Prefix:HashAlgorithm '{HashAlgorithm}' is not XxHash128 or Sha256.", nameof(HashAlgorithm)); }
    }
}

/// <summary>The chained block hash of the semcache scheme.</summary>
public enum PrefixHashAlgorithm
{
    /// <summary>XXH3-128 (non-cryptographic, fast; seeded per tenant).</summary>
    XxHash128 = 0,

    /// <summary>SHA-256 truncated to 128 bits (keyed with the tenant's 32-byte seed).</summary>
    Sha256 = 1,
}
