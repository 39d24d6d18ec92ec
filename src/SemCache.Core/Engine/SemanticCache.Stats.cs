namespace SemCache.Engine;

internal sealed partial class SemanticCache
{
    /// <summary>Extra similarity a wrong-hit report demands of the entry from then on.</summary>
    internal const float WrongHitPenalty = 0.04f;

    /// <summary>How much a correct-hit report gives back (never below the global threshold).</summary>
    internal const float CorrectHitRelief = 0.01f;

    /// <summary>Wrong-hit reports after which an entry is removed rather than penalised.</summary>
    internal const int WrongHitsBeforeRemoval = 2;

    public ValueTask<CacheStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        if (tenant is not null)
        {
            RequestValidator.Tenant(tenant);

            // A tenant that has done nothing yet has zero of everything: not an error, and no
            // different from a tenant whose entries all expired. Counters only: a quota check per
            // store reads this, so it must not grow with the number of partitions.
            return ValueTask.FromResult(WithCosts(WithBatchScorer(_tenants.TryGetValue(tenant, out var state)
                ? StatsOf(state) with { PartitionKernels = KernelsOf([state]) }
                : new CacheStats { Tenant = tenant, PartitionKernels = new Dictionary<string, long>() }), tenant));
        }

        var total = new CacheStats();
        long partitions = 0;
        foreach (var state in _tenants.Values)
        {
            total = Sum(total, StatsOf(state));
            partitions += Interlocked.Read(ref state.Partitions);
        }

        return ValueTask.FromResult(WithCosts(WithBatchScorer(total with { Partitions = partitions, PartitionKernels = KernelsOf(_tenants.Values) }), null));
    }

    /// <summary>Live partitions of the given tenants counted by kernel family and encoding, e.g. <c>native/int8</c>.</summary>
    private static Dictionary<string, long> KernelsOf(IEnumerable<TenantState> tenants)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var state in tenants)
        {
            foreach (var (key, count) in state.Kernels)
            {
                if (count > 0) { counts[key] = counts.GetValueOrDefault(key) + count; }
            }
        }

        return counts;
    }

    private CacheStats WithBatchScorer(CacheStats stats) =>
        stats with { BatchAccelerator = _batchScorer.Accelerator, BatchDeviceBytes = _batchScorer.DeviceBytes };

    private static CacheStats Sum(CacheStats a, CacheStats b) => new()
    {
        Entries = a.Entries + b.Entries,
        Bytes = a.Bytes + b.Bytes,
        Lookups = a.Lookups + b.Lookups,
        ExactHits = a.ExactHits + b.ExactHits,
        SemanticHits = a.SemanticHits + b.SemanticHits,
        Misses = a.Misses + b.Misses,
        Vetoes = a.Vetoes + b.Vetoes,
        Stores = a.Stores + b.Stores,
        Evictions = a.Evictions + b.Evictions,
        Expirations = a.Expirations + b.Expirations,
        Invalidations = a.Invalidations + b.Invalidations,
        Explorations = a.Explorations + b.Explorations,
        BudgetLabels = a.BudgetLabels + b.BudgetLabels,
        TokensSaved = a.TokensSaved + b.TokensSaved,
        CostSaved = a.CostSaved + b.CostSaved,
    };

    /// <summary>One tenant's figures, from its counters.</summary>
    private CacheStats StatsOf(TenantState state)
    {
        int entries;
        lock (_gate) { entries = state.Entries.Count; }
        return new CacheStats
        {
            Tenant = state.Name,
            Entries = entries,
            Bytes = Interlocked.Read(ref state.Bytes),
            Partitions = Interlocked.Read(ref state.Partitions),
            Lookups = Interlocked.Read(ref state.Lookups),
            ExactHits = Interlocked.Read(ref state.ExactHits),
            SemanticHits = Interlocked.Read(ref state.SemanticHits),
            Misses = Interlocked.Read(ref state.Misses),
            Vetoes = Interlocked.Read(ref state.Vetoes),
            Stores = Interlocked.Read(ref state.Stores),
            Evictions = Interlocked.Read(ref state.Evictions),
            Expirations = Interlocked.Read(ref state.Expirations),
            Invalidations = Interlocked.Read(ref state.Invalidations),
            Explorations = Interlocked.Read(ref state.Explorations),
            BudgetLabels = Interlocked.Read(ref state.BudgetLabels),
            TokensSaved = Interlocked.Read(ref state.TokensSaved),
            CostSaved = Interlocked.Read(ref state.CostSavedMicros) / 1_000_000d,
        };
    }

    public async ValueTask<bool> ReportHitAsync(CacheHitFeedback feedback, CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        ArgumentNullException.ThrowIfNull(feedback);
        RequestValidator.Tenant(feedback.Tenant);

        // Another tenant's entry is indistinguishable from a missing one.
        if (!_entries.TryGetValue(feedback.EntryId, out var meta) || !string.Equals(meta.Tenant.Name, feedback.Tenant, StringComparison.Ordinal))
        {
            return false;
        }

        await LearnFeedbackAsync(meta, feedback.Correct, cancellationToken);
        if (feedback.Correct)
        {
            lock (_gate) { meta.ThresholdBoost = Math.Max(0, meta.ThresholdBoost - CorrectHitRelief); }
            return true;
        }

        bool remove;
        lock (_gate)
        {
            meta.ThresholdBoost += WrongHitPenalty;
            remove = meta.ThresholdBoost >= WrongHitPenalty * WrongHitsBeforeRemoval - 1e-6;
        }

        if (remove) { await RemoveAsync([meta.Id], RemovalReason.Feedback, cancellationToken); }
        return true;
    }
}
