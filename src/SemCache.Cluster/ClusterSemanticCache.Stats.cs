using Orleans.Runtime;
using SemCache.Cluster.Grains;
using SemCache.Cluster.Routing;

namespace SemCache.Cluster;

internal sealed partial class ClusterSemanticCache
{
    private static readonly TimeSpan SiloAnswerLimit = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A tenant's stats are the sum over its groups, each read from the group's read copy (so every entry
    /// counts once). The whole cluster's stats (<paramref name="tenant"/> null) are the sum over every
    /// silo's engine: entries, bytes and stores there count every replica (× <see cref="SemCacheClusterOptions.Replicas"/>).
    /// </summary>
    public async ValueTask<CacheStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken = default)
    {
        if (tenant is null)
        {
            // A silo that does not answer (it just died) is left out rather than failing the health probe.
            var all = await Task.WhenAll(ActiveSilos().Select(async s =>
            {
                try
                {
                    return await grains.GetGrain<ISiloCopyGrain>(s).GetStatsAsync(null).WaitAsync(SiloAnswerLimit, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (IsClusterFailure(e, cancellationToken))
                {
                    return null;
                }
            })).ConfigureAwait(false);
            return Merge(null, all);
        }

        CheckTenant(tenant, nameof(tenant));
        var parts = await Task.WhenAll(Enumerable.Range(0, Groups).Select(b =>
            CallAsync(GroupRouting.GroupKey(tenant, b), g => g.GetStatsAsync(), cancellationToken))).ConfigureAwait(false);
        return Merge(tenant, parts);
    }

    /// <summary>The cluster as this silo sees it: each active silo's copies, coordinators and call counts.</summary>
    internal async Task<IReadOnlyList<SiloView>> DescribeAsync(CancellationToken cancellationToken)
    {
        var views = await Task.WhenAll(ActiveSilos().Select(async s =>
        {
            try
            {
                return await grains.GetGrain<ISiloCopyGrain>(s).GetViewAsync().WaitAsync(SiloAnswerLimit, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return new SiloView(s, [], [], -1, -1, new MoveCounts(0, 0, 0, 0));
            }
        })).ConfigureAwait(false);
        return views;
    }

    private string[] ActiveSilos() =>
        [.. membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress.ToParsableString()).Order(StringComparer.Ordinal)];

    private static CacheStats Merge(string? tenant, IEnumerable<CacheStats?> parts)
    {
        var list = parts.OfType<CacheStats>().ToList();
        var costs = list.SelectMany(s => s.Costs)
            .Select(c => c with { Tenant = GroupRouting.TenantOfEngineTenant(c.Tenant) ?? c.Tenant })
            .GroupBy(c => (c.Tenant, c.Feature, c.Model))
            .Select(g => g.Aggregate((a, b) => a with
            {
                Lookups = a.Lookups + b.Lookups,
                ExactHits = a.ExactHits + b.ExactHits,
                SemanticHits = a.SemanticHits + b.SemanticHits,
                Misses = a.Misses + b.Misses,
                Stores = a.Stores + b.Stores,
                TokensSaved = a.TokensSaved + b.TokensSaved,
                CostSaved = a.CostSaved + b.CostSaved,
                Spend = a.Spend + b.Spend,
                LatencySaved = a.LatencySaved + b.LatencySaved,
            }))
            .ToList();
        var savings = list.SelectMany(s => s.SavingsOverTime)
            .GroupBy(p => p.Start)
            .OrderBy(g => g.Key)
            .Select(g => new CacheSavingsPoint(g.Key, g.Sum(p => p.Lookups), g.Sum(p => p.Hits), g.Sum(p => p.TokensSaved), g.Sum(p => p.CostSaved), g.Sum(p => p.Spend)))
            .ToList();
        var kernels = list.Where(s => s.PartitionKernels is not null).SelectMany(s => s.PartitionKernels!)
            .GroupBy(p => p.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Value), StringComparer.Ordinal);
        return new CacheStats
        {
            Tenant = tenant,
            Entries = list.Sum(s => s.Entries),
            Bytes = list.Sum(s => s.Bytes),
            Partitions = list.Sum(s => s.Partitions),
            Lookups = list.Sum(s => s.Lookups),
            ExactHits = list.Sum(s => s.ExactHits),
            SemanticHits = list.Sum(s => s.SemanticHits),
            Misses = list.Sum(s => s.Misses),
            Vetoes = list.Sum(s => s.Vetoes),
            Stores = list.Sum(s => s.Stores),
            Evictions = list.Sum(s => s.Evictions),
            Expirations = list.Sum(s => s.Expirations),
            Invalidations = list.Sum(s => s.Invalidations),
            TokensSaved = list.Sum(s => s.TokensSaved),
            CostSaved = list.Sum(s => s.CostSaved),
            PartitionKernels = kernels,
            BatchAccelerator = list.Select(s => s.BatchAccelerator).FirstOrDefault(a => a is not null),
            BatchDeviceBytes = list.Sum(s => s.BatchDeviceBytes),
            Currency = list.Select(s => s.Currency).FirstOrDefault() ?? "USD",
            Costs = costs,
            SavingsOverTime = savings,
        };
    }
}
