using SemCache.Engine;
using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class PartitionKeyCacheTests
{
    [Fact]
    public void The_cached_partition_key_is_the_hashed_one_and_the_cache_holds_at_most_its_capacity()
    {
        var cache = new PartitionKeyCache(capacity: 8);
        var noContext = ScopeKeys.ContextFingerprint(null, 4);
        for (var i = 0; i < 100; i++)
        {
            var scope = ScopeKeys.ScopeFingerprint(new CacheScope { Model = $"model-{i % 20}" });
            var tenant = $"tenant-{i % 3}";

            Assert.Equal(ScopeKeys.PartitionKey(tenant, scope, noContext), cache.Get(tenant, scope, noContext));
            Assert.Equal(ScopeKeys.PartitionKey(tenant, scope, noContext), cache.Get(tenant, scope, noContext));
            Assert.InRange(cache.Count, 1, 8);
        }
    }

    [Fact]
    public void Requests_with_context_get_their_own_partition_key_and_are_not_cached()
    {
        var cache = new PartitionKeyCache(capacity: 8);
        var scope = ScopeKeys.ScopeFingerprint(Scope);
        var context = ScopeKeys.ContextFingerprint([new ConversationTurn("user", "earlier question")], 4);
        var noContext = ScopeKeys.ContextFingerprint(null, 4);

        var withContext = cache.Get("acme", scope, context);

        Assert.Equal(ScopeKeys.PartitionKey("acme", scope, context), withContext);
        Assert.NotEqual(cache.Get("acme", scope, noContext), withContext);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void The_same_scope_for_two_tenants_gets_two_partition_keys()
    {
        var cache = new PartitionKeyCache(capacity: 8);
        var scope = ScopeKeys.ScopeFingerprint(Scope);
        var noContext = ScopeKeys.ContextFingerprint(null, 4);

        Assert.NotEqual(cache.Get("acme", scope, noContext), cache.Get("globex", scope, noContext));
    }
}
