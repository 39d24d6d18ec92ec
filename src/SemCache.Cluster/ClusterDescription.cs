using Microsoft.Extensions.DependencyInjection;

namespace SemCache.Cluster;

/// <summary>One silo as the cluster view shows it.</summary>
/// <param name="Silo">The silo's address.</param>
/// <param name="Reachable">Whether it answered.</param>
/// <param name="CoordinatedGroups">Partition groups whose grain is active on the silo (<c>bucket/tenant</c>).</param>
/// <param name="Copies">Group copies the silo's engine holds, with the configuration epoch of each.</param>
/// <param name="ForwardedCalls">API calls another silo received and forwarded to a group grain here.</param>
/// <param name="LocalCalls">API calls the silo received for a group grain it hosts itself.</param>
/// <param name="MovesDone">Group checks after membership changes, started by this silo, that moved a copy or a coordinator.</param>
/// <param name="MovesPending">Groups waiting on this silo for that check (at most <see cref="SemCacheClusterOptions.MovesAtOnce"/> run at a time).</param>
/// <param name="CopiesFilled">New group copies that coordinators on this silo filled from a surviving copy.</param>
/// <param name="EntriesCopied">Entries those fills copied.</param>
public sealed record ClusterSiloDescription(
    string Silo,
    bool Reachable,
    IReadOnlyList<string> CoordinatedGroups,
    IReadOnlyDictionary<string, long> Copies,
    long ForwardedCalls,
    long LocalCalls,
    long MovesDone,
    long MovesPending,
    long CopiesFilled,
    long EntriesCopied);

/// <summary>Describes the cluster a host belongs to (dashboard, operations).</summary>
public static class ClusterDescription
{
    /// <summary>Every active silo's share of the cluster, asked of the silos themselves.</summary>
    public static async Task<IReadOnlyList<ClusterSiloDescription>> DescribeAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var cache = services.GetRequiredService<ClusterSemanticCache>();
        var views = await cache.DescribeAsync(cancellationToken).ConfigureAwait(false);
        return [.. views.Select(v => new ClusterSiloDescription(
            v.Silo, v.ForwardedCalls >= 0, v.Primaries, v.Copies, Math.Max(0, v.ForwardedCalls), Math.Max(0, v.LocalCalls),
            v.Moves.Done, v.Moves.Pending, v.Moves.CopiesFilled, v.Moves.EntriesCopied))];
    }
}
