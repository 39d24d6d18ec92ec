namespace SemCache.Engine;

/// <summary>
/// What the engine keeps in memory per live entry: enough to route, expire, evict and verify
/// without touching the store. Prompt and response stay in the store.
/// </summary>
internal sealed class EntryMeta
{
    public required long Id { get; init; }
    public required TenantState Tenant { get; init; }
    public required UInt128 PartitionKey { get; init; }
    public required string[] Tags { get; init; }
    /// <summary>Bytes charged against the capacity: the record plus what memory holds for it (see EntryCost).</summary>
    public required long Size { get; init; }
    public required long CreatedTicks { get; init; }
    public required long ExpiresTicks { get; init; }
    public required long InputTokens { get; init; }
    public required long OutputTokens { get; init; }
    public required double Cost { get; init; }
    public required bool HasVector { get; init; }

    /// <summary>
    /// The usage every hit reports, built on the first hit and shared by all later ones (an
    /// immutable record), so a hit does not allocate it again.
    /// </summary>
    public CacheUsage Usage => _usage ??= new CacheUsage(InputTokens, OutputTokens, Cost);

    private CacheUsage? _usage;

    /// <summary>Last time the entry was served or stored (ticks); read racily for eviction ranking.</summary>
    public long LastAccessTicks;

    /// <summary>Times the entry was served.</summary>
    public int Hits;

    /// <summary>
    /// Extra similarity this entry demands beyond the global threshold, raised by wrong-hit
    /// feedback and lowered (never below 0) by correct-hit feedback.
    /// </summary>
    public float ThresholdBoost;

    /// <summary>Error-budget state (offset, labels), created on the entry's first label or budget hit; null otherwise.</summary>
    public Budget.EntryBudget? Budget;

    /// <summary>Position in the engine's list of all entries (eviction sampling); guarded by the engine's gate.</summary>
    public int GlobalSlot = -1;

    /// <summary>Position in the tenant's list of entries; guarded by the engine's gate.</summary>
    public int TenantSlot = -1;

    public bool IsExpired(long nowTicks) => ExpiresTicks != 0 && nowTicks >= ExpiresTicks;
}
