using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SemCache.Cluster.Placement;
using SemCache.Cluster.Replication;

namespace SemCache.Cluster.Tests;

/// <summary>The bound on placement work after a membership change.</summary>
public sealed class GroupRebalancerTests
{
    [Fact]
    public void Group_checks_run_at_most_MovesAtOnce_at_a_time_and_a_group_queued_twice_waits_once()
    {
        var counters = new ClusterCounters();
        using var engine = SemanticCacheEngine.Open(new SemanticCacheOptions { Durability = CacheDurability.InMemory, Dimensions = 8, RequestsBringVectors = true });
        using var store = new SiloCopyStore(engine, "127.0.0.1:1@1");
        // Membership and grains are not reached: nothing is started, only the queue is used.
        using var rebalancer = new GroupRebalancer(null!, null!, store, counters, Options.Create(new SemCacheClusterOptions { MovesAtOnce = 3 }), NullLogger<GroupRebalancer>.Instance);
        var groups = Enumerable.Range(0, 10).Select(b => $"{b}/acme").ToList();

        rebalancer.Enqueue(groups);
        rebalancer.Enqueue(groups.Take(5));
        Assert.Equal(10, rebalancer.Pending);
        Assert.Equal(10, counters.Moves.Pending);

        var rounds = new List<int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (rebalancer.Take() is { Count: > 0 } round)
        {
            rounds.Add(round.Count);
            Assert.All(round, r => Assert.True(seen.Add(r.Group), $"{r.Group} checked twice"));
        }

        Assert.Equal([3, 3, 3, 1], rounds);
        Assert.Equal(groups.ToHashSet(StringComparer.Ordinal), seen);
        Assert.Equal(0, rebalancer.Pending);
    }
}
