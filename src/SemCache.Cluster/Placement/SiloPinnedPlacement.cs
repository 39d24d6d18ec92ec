using Orleans;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace SemCache.Cluster.Placement;

/// <summary>Places a grain whose string key is a silo address on exactly that silo.</summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("semcache.silo-pinned")]
internal sealed class SiloPinnedPlacement : PlacementStrategy
{
    internal static readonly SiloPinnedPlacement Instance = new();
}

/// <summary>Marks a grain class keyed by silo address as living on that silo (a silo's copy entry point).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
internal sealed class SiloPinnedPlacementAttribute() : PlacementAttribute(SiloPinnedPlacement.Instance);

/// <summary>
/// Puts the activation on the silo its key names, and refuses when that silo is not in the cluster:
/// a copy entry point activated anywhere else would answer for an engine it does not own, so a call to
/// a dead silo's copy must fail (the group coordinator then reconfigures without it).
/// </summary>
internal sealed class SiloPinnedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString() ?? string.Empty;
        var wanted = SiloAddress.FromParsableString(key);
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (silo.Equals(wanted)) { return Task.FromResult(silo); }
        }

        throw new SiloUnavailableException($"silo {key} is not an active member of the cluster");
    }
}
