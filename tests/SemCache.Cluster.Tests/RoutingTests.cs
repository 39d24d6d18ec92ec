using SemCache.Cluster.Replication;
using SemCache.Cluster.Routing;

namespace SemCache.Cluster.Tests;

/// <summary>Routing of scopes to groups, cluster entry ids, and the bounded feedback memory.</summary>
public sealed class RoutingTests
{
    [Fact]
    public void Equal_scopes_route_to_the_same_group_whatever_the_order_of_their_tools_and_extra_keys()
    {
        var a = new CacheScope { Model = "m", Tools = ["search", "calc"], Extra = new Dictionary<string, string> { ["x"] = "1", ["y"] = "2" } };
        var b = new CacheScope { Model = "m", Tools = ["calc", "search"], Extra = new Dictionary<string, string> { ["y"] = "2", ["x"] = "1" } };
        for (var groups = 1; groups <= 64; groups *= 2)
        {
            Assert.Equal(GroupRouting.Bucket("t", a, groups), GroupRouting.Bucket("t", b, groups));
        }
    }

    [Fact]
    public void A_tenants_scopes_spread_over_its_groups()
    {
        var buckets = Enumerable.Range(0, 400)
            .Select(i => GroupRouting.Bucket("acme", new CacheScope { Model = "m", SystemPrompt = "p" + i }, 16))
            .ToHashSet();
        Assert.Equal(16, buckets.Count);
    }

    [Fact]
    public void An_engine_tenant_names_exactly_one_tenant_and_group()
    {
        foreach (var tenant in new[] { "acme", "a@@g5", "x@@g", "@@g1", "t.u_v-w:z@q" })
        {
            for (var bucket = 0; bucket < 1024; bucket += 97)
            {
                var engine = GroupRouting.EngineTenant(tenant, bucket);
                Assert.Equal(tenant, GroupRouting.TenantOfEngineTenant(engine));
                Assert.EndsWith("@@g" + bucket, engine, StringComparison.Ordinal);
            }
        }

        Assert.Null(GroupRouting.TenantOfEngineTenant("plain-tenant"));
        Assert.Equal(("a/b", 12), GroupRouting.ParseGroupKey(GroupRouting.GroupKey("a/b", 12)));
    }

    [Fact]
    public void A_cluster_entry_id_carries_its_bucket_and_hides_its_tag_from_the_caller()
    {
        var id = ClusterEntryId.Create(1023, ClusterEntryId.MaxEpoch, uint.MaxValue);
        Assert.True(id > 0);
        Assert.Equal(1023, ClusterEntryId.BucketOf(id));
        Assert.Equal(5, ClusterEntryId.BucketOf(ClusterEntryId.Create(5, 1, 1)));
        Assert.NotEqual(ClusterEntryId.Create(5, 1, 2), ClusterEntryId.Create(5, 2, 1));

        Assert.True(ClusterEntryId.TrySplit(["doc:1", ClusterEntryId.Tag(id), "doc:2"], out var found, out var tags));
        Assert.Equal(id, found);
        Assert.Equal(["doc:1", "doc:2"], tags);
        Assert.False(ClusterEntryId.TrySplit(["doc:1"], out _, out _));
    }

    [Fact]
    public void The_feedback_memory_keeps_at_most_its_capacity_forgetting_the_oldest()
    {
        var memory = new FeedbackMemory(100);
        for (var i = 1; i <= 1000; i++) { memory.Remember(i, "silo", i * 10); }
        Assert.Equal(100, memory.Count);
        Assert.False(memory.TryGet(900, out _, out _));
        Assert.True(memory.TryGet(1000, out var silo, out var local));
        Assert.Equal(("silo", 10_000L), (silo, local));
    }

    [Fact]
    public void Invalid_cluster_options_are_refused_with_the_option_named()
    {
        var failures = ClusterHosting.Validate(new SemCacheClusterOptions
        {
            Replicas = 0,
            GroupsPerTenant = 5000,
            SiloPort = 70000,
            AdvertisedAddress = "not-an-ip",
            PrimarySiloEndpoint = "nowhere",
            Membership = ClusterMembership.Development,
        });
        Assert.Contains(failures, f => f.Contains("Replicas", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("GroupsPerTenant", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("SiloPort", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("AdvertisedAddress", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("PrimarySiloEndpoint", StringComparison.Ordinal));
        Assert.Contains(ClusterHosting.Validate(new SemCacheClusterOptions { Membership = ClusterMembership.Redis }), f => f.Contains("RedisConnectionString", StringComparison.Ordinal));
        var moves = ClusterHosting.Validate(new SemCacheClusterOptions { TransferPageSize = 0, MovesAtOnce = 65, MoveInterval = TimeSpan.FromSeconds(-1) });
        Assert.Contains(moves, f => f.Contains("TransferPageSize", StringComparison.Ordinal));
        Assert.Contains(moves, f => f.Contains("MovesAtOnce", StringComparison.Ordinal));
        Assert.Contains(moves, f => f.Contains("MoveInterval", StringComparison.Ordinal));
        Assert.Contains(ClusterHosting.Validate(new SemCacheClusterOptions { TransferPageSize = 4097 }), f => f.Contains("TransferPageSize", StringComparison.Ordinal));
        Assert.Empty(ClusterHosting.Validate(new SemCacheClusterOptions()));
    }
}
