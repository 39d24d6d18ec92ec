using SemCache.Cluster.Grains;
using SemCache.Cluster.Replication;
using SemCache.Cluster.Routing;

namespace SemCache.Cluster.Tests;

/// <summary>A silo's copy of a group accepts calls of its current configuration only.</summary>
public sealed class CopyFencingTests
{
    private static IEmbeddedSemanticCache Engine() => SemanticCacheEngine.Open(new SemanticCacheOptions
    {
        Durability = CacheDurability.InMemory,
        Dimensions = ThreeSiloCluster.Dimensions,
        RequestsBringVectors = true,
    });

    private static StoreCall Store(int i) => new(new CacheStoreRequest
    {
        Tenant = "acme",
        Scope = new CacheScope { Model = "m" },
        Prompt = "q" + i,
        Response = "a" + i,
        Vector = ThreeSiloCluster.Vector(i),
        Tags = [ClusterEntryId.Tag(ClusterEntryId.Create(1, 1, (uint)i))],
    });

    [Fact]
    public async Task A_copy_refuses_writes_and_reads_of_an_older_configuration_and_a_second_claim_of_its_epoch()
    {
        using var engine = Engine();
        var copy = new SiloCopyStore(engine, "silo-a");
        var group = GroupRouting.GroupKey("acme", 1);
        await copy.JoinAsync(group, epoch: 5, joinedEpoch: 5, fresh: true);
        await copy.StoreAsync(group, 5, Store(1));

        await Assert.ThrowsAsync<StaleGroupException>(() => copy.JoinAsync(group, epoch: 5, joinedEpoch: 5, fresh: false));
        await copy.JoinAsync(group, epoch: 6, joinedEpoch: 5, fresh: false);
        await Assert.ThrowsAsync<StaleGroupException>(() => copy.StoreAsync(group, 5, Store(2)));
        await Assert.ThrowsAsync<StaleGroupException>(() => copy.LookupAsync(group, 5, new LookupBatchCall([])));

        // The copy kept its data and its history across the new configuration.
        var status = await copy.GetStatusAsync(group);
        Assert.Equal((true, 6L, 5L), (status.HasCopy, status.Epoch, status.JoinedEpoch));
        var found = await copy.LookupAsync(group, 6, new LookupBatchCall([new CacheLookupRequest { Tenant = "acme", Scope = new CacheScope { Model = "m" }, Prompt = "q1", Vector = ThreeSiloCluster.Vector(1) }]));
        Assert.Equal("a1", found.Results[0].Response);
    }

    [Fact]
    public async Task A_dropped_or_freshly_joined_copy_holds_nothing_of_its_earlier_entries()
    {
        using var engine = Engine();
        var copy = new SiloCopyStore(engine, "silo-a");
        var group = GroupRouting.GroupKey("acme", 1);
        await copy.JoinAsync(group, 1, 1, fresh: true);
        await copy.StoreAsync(group, 1, Store(1));

        await copy.DropAsync(group, olderThanEpoch: 1);
        Assert.True((await copy.GetStatusAsync(group)).HasCopy, "a drop for an epoch that is not newer must leave the copy");
        await copy.DropAsync(group, olderThanEpoch: 2);
        Assert.False((await copy.GetStatusAsync(group)).HasCopy);
        Assert.Equal(0, (await engine.GetStatsAsync(GroupRouting.EngineTenant("acme", 1))).Entries);

        await copy.JoinAsync(group, 3, 3, fresh: true);
        await copy.StoreAsync(group, 3, Store(2));
        await copy.JoinAsync(group, 4, 4, fresh: true);
        Assert.Equal(0, (await engine.GetStatsAsync(GroupRouting.EngineTenant("acme", 1))).Entries);
    }

    [Fact]
    public async Task A_fresh_copy_counts_as_holding_its_group_only_once_the_coordinator_of_its_epoch_marked_it_filled()
    {
        using var engine = Engine();
        var copy = new SiloCopyStore(engine, "silo-a");
        var group = GroupRouting.GroupKey("acme", 1);

        // A fresh member whose fill never completed (its coordinator gave up on a slow join or import): present,
        // but not filled, even after a later configuration takes it over as it is.
        await copy.JoinAsync(group, 1, 1, fresh: true);
        Assert.False((await copy.GetStatusAsync(group)).Filled);
        await copy.JoinAsync(group, 2, 1, fresh: false);
        var status = await copy.GetStatusAsync(group);
        Assert.Equal((true, false), (status.HasCopy, status.Filled));
        Assert.DoesNotContain(group, copy.FilledCopies().Keys);
        Assert.Contains(group, copy.Copies().Keys);

        // Only the coordinator of the copy's current epoch can mark it; the mark survives a later non-fresh join.
        await Assert.ThrowsAsync<StaleGroupException>(() => copy.MarkFilledAsync(group, 1));
        await copy.MarkFilledAsync(group, 2);
        await copy.JoinAsync(group, 3, 1, fresh: false);
        Assert.True((await copy.GetStatusAsync(group)).Filled);
        Assert.Equal(3, copy.FilledCopies()[group]);

        // A fresh join empties the copy, so it is unfilled again until its new fill completes.
        await copy.JoinAsync(group, 4, 4, fresh: true);
        Assert.False((await copy.GetStatusAsync(group)).Filled);
    }
}
