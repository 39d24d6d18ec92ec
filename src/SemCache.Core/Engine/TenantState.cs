namespace SemCache.Engine;

/// <summary>Per-tenant bookkeeping. Lists and tag sets are guarded by the engine's gate; counters are atomic.</summary>
internal sealed class TenantState(string name)
{
    public string Name { get; } = name;

    public List<EntryMeta> Entries { get; } = [];

    public Dictionary<string, HashSet<long>> Tags { get; } = new(StringComparer.Ordinal);

    public long Bytes;

    /// <summary>Partitions the tenant holds; kept by the registry's charge callback, so stats never scan partitions.</summary>
    public long Partitions;

    /// <summary>The tenant's partitions by kernel family and encoding (<see cref="SemCache.Partitions.Partition.KernelKey"/>).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, long> Kernels { get; } = new(StringComparer.Ordinal);
    public long Lookups;
    public long ExactHits;
    public long SemanticHits;
    public long Misses;
    public long Vetoes;
    public long Stores;
    public long Evictions;
    public long Expirations;
    public long Invalidations;
    public long TokensSaved;
    public long CostSavedMicros;
    public long Explorations;
    public long BudgetLabels;

    /// <summary>The tenant's error-budget model, created on first use (labels never cross tenants).</summary>
    public Budget.BudgetModel? BudgetModel;
}
