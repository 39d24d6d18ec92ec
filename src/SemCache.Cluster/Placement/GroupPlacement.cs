using System.IO.Hashing;
using System.Text;
using Orleans;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace SemCache.Cluster.Placement;

/// <summary>
/// Rendezvous (highest-random-weight) placement of partition groups: each group ranks the silos by a
/// hash of (group, silo) and activates on the best-ranked live one. A tenant's groups differ in bucket,
/// so they spread over the silos; when a silo dies, only its groups move, each to its next-ranked silo,
/// which is where the group's first replica was put (<see cref="Rank"/> picks replicas the same way).
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("semcache.group-rendezvous")]
internal sealed class GroupPlacement : PlacementStrategy
{
    internal static readonly GroupPlacement Instance = new();

    /// <summary>The silos in the group's order of preference.</summary>
    public static IEnumerable<SiloAddress> Rank(string group, IEnumerable<SiloAddress> silos) =>
        silos.OrderByDescending(silo => Weight(group, silo)).ThenBy(silo => silo.ToParsableString(), StringComparer.Ordinal);

    private static ulong Weight(string group, SiloAddress silo) =>
        XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(group + "|" + silo.ToParsableString()));
}

/// <summary>Places partition-group grains by <see cref="GroupPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class GroupPlacementAttribute() : PlacementAttribute(GroupPlacement.Instance);

/// <summary>Director of <see cref="GroupPlacement"/>.</summary>
internal sealed class GroupPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (silos.Length == 0) { throw new SiloUnavailableException("no silo can host a partition group"); }
        return Task.FromResult(GroupPlacement.Rank(target.GrainIdentity.Key.ToString() ?? string.Empty, silos).First());
    }
}
