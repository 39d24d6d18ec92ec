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
            // different from a tenant whose entries all expired.
            return ValueTask.FromResult(WithCosts(WithBatchScorer(_tenants.TryGetValue(tenant, out var state)
                ? StatsOf(state, countPartitions: true) with { PartitionKernels = KernelsOf(tenant) }
                : new CacheStats { Tenant = tenant, PartitionKernels = new Dictionary<string, long>() }), tenant));
        }

        var total = new CacheStats();
        foreach (var state in _tenants.Values) { total = Sum(total, StatsOf(state, countPartitions: false)); }
        return ValueTask.FromResult(WithCosts(WithBatchScorer(total with { Partitions = _partitions.All.Count(p => p.Index.Count > 0), PartitionKernels = KernelsOf(null) }), null));
    }

    /// <summary>Live partitions (of one tenant, or all) counted by kernel family and encoding, e.g. <c>native/int8</c>.</summary>
    private Dictionary<string, long> KernelsOf(string? tenant)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var partition in _partitions.All)
        {
            if (partition.Index.Count > 0 && (tenant is null || string.Equals(partition.Tenant, tenant, StringComparison.Ordinal)))
            {
                var key = partition.Index.KernelFamily + "/" + partition.Index.Options.Encoding.ToString().ToLowerInvariant();
                counts[key] = counts.GetValueOrDefault(key) + 1;
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

    /// <summary>
    /// One tenant's figures. Counting its partitions scans every partition, so the whole-cache
    /// total skips it and counts all partitions once.
    /// </summary>
    private CacheStats StatsOf(TenantState state, bool countPartitions)
    {
        int entries;
        lock (_gate) { entries = state.Entries.Count; }
        return new CacheStats
        {
            Tenant = state.Name,
            Entries = entries,
            Bytes = Interlocked.Read(ref state.Bytes),
            Partitions = countPartitions ? _partitions.All.Count(p => p.Index.Count > 0 && string.Equals(p.Tenant, state.Name, StringComparison.Ordinal)) : 0,
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
