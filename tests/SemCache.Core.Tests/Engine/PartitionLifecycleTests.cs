using SemCache.Engine;
using SemCache.Partitions;
using SemCache.Vectors;

namespace SemCache.Tests.Engine;

/// <summary>
/// The partition registry: a partition exists while it holds entries and is dropped (its index
/// freed) when the last one leaves, so scopes that come and go do not grow memory.
/// </summary>
public sealed class PartitionLifecycleTests
{
    private static CacheScope FreshScope(int i) => new()
    {
        Model = "gpt-test",
        Extra = new Dictionary<string, string> { ["conversation"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
    };

    [Fact]
    public async Task Store_then_invalidate_cycles_in_fresh_scopes_leave_no_partition_and_bounded_memory()
    {
        await using var cache = TestCache.Create();
        const int cycles = 2_000;
        for (var i = 0; i < cycles; i++)
        {
            var scope = FreshScope(i);
            var store = TestCache.Store("t", "what is the refund policy " + i, "thirty days", scope);
            await cache.StoreAsync(store with { Tags = ["conversation:" + i], TimeToLive = TimeSpan.FromDays(30) });
            Assert.Equal(1, cache.Partitions.Count);
            Assert.Equal(1, await cache.InvalidateAsync(CacheInvalidation.ForScope("t", scope)));
            Assert.Equal(0, cache.Partitions.Count);
        }

        // The bound: nothing per cycle survives. No partition (so no native arena), no index bytes,
        // no entry, tag, exact key, expiry item or flight; the engine's byte count is back to zero.
        // (Process-wide heap figures are not asserted: other tests run in parallel in this process;
        // the long soak with process memory is `probe-engine partitions`, see benchmarks/README.md.)
        var stats = await cache.GetStatsAsync("t");
        Assert.Equal(0, stats.Entries);
        Assert.Equal(0, stats.Bytes);
        Assert.Equal(0, stats.Partitions);
        Assert.Equal(cycles, cache.Partitions.Created);
        Assert.Equal(cycles, cache.Partitions.Dropped);
        Assert.Equal(0, cache.Partitions.MemoryBytes);
        Assert.Equal(0, cache.TrackedItems);
    }

    [Fact]
    public async Task A_partition_emptied_by_replacement_stays_while_it_holds_the_new_entry()
    {
        await using var cache = TestCache.Create();
        var scope = FreshScope(1);
        await cache.StoreAsync(TestCache.Store("t", "same prompt", "first", scope));
        await cache.StoreAsync(TestCache.Store("t", "same prompt", "second", scope));
        Assert.Equal(1, cache.Partitions.Count);
        var hit = await cache.LookupAsync(new CacheLookupRequest { Tenant = "t", Scope = scope, Prompt = "same prompt" });
        Assert.Equal("second", hit.Response);
    }

    [Fact]
    public async Task A_scope_stored_again_after_its_partition_was_dropped_is_searchable()
    {
        await using var cache = TestCache.Create();
        var scope = FreshScope(7);
        await cache.StoreAsync(TestCache.Store("t", "how do I reset my password", "use the link", scope));
        await cache.InvalidateAsync(CacheInvalidation.ForScope("t", scope));
        Assert.Equal(0, cache.Partitions.Count);

        await cache.StoreAsync(TestCache.Store("t", "how do I reset my password", "use the new link", scope));
        var hit = await cache.LookupAsync(new CacheLookupRequest { Tenant = "t", Scope = scope, Prompt = "how do I reset my password please" });
        Assert.Equal(CacheHitKind.Semantic, hit.Kind);
        Assert.Equal("use the new link", hit.Response);
    }

    [Fact]
    public void A_lease_holder_keeps_an_empty_partition_alive_and_the_last_exit_drops_it()
    {
        using var registry = new PartitionRegistry(new VectorIndexOptions { Dimensions = 4 });
        var key = (UInt128)42;
        var first = registry.Enter(key, "t", new byte[32]);
        var second = registry.Enter(key, "t", new byte[32]);
        Assert.Same(first, second);

        registry.Exit(first);
        Assert.Equal(1, registry.Count);
        registry.Exit(second);
        Assert.Equal(0, registry.Count);
        Assert.False(registry.TryEnter(key, out _));
        Assert.False(second.TryEnter());
    }

    [Fact]
    public async Task Concurrent_stores_and_drops_of_one_partition_never_add_into_a_freed_index()
    {
        using var registry = new PartitionRegistry(new VectorIndexOptions { Dimensions = 4 });
        var key = (UInt128)7;
        float[] vector = [1, 0, 0, 0];
        long added = 0;

        // Two tasks each add then remove one key over and over in the same partition: every
        // removal that empties it drops it while the other task may be entering. An add into a
        // freed index would throw ObjectDisposedException.
        async Task Churn(long baseKey)
        {
            await Task.Yield();
            for (var i = 0; i < 5_000; i++)
            {
                var p = registry.Enter(key, "t", new byte[32]);
                try
                {
                    p.Index.Add(baseKey + i, vector);
                    Interlocked.Increment(ref added);
                }
                finally
                {
                    registry.Exit(p);
                }

                Assert.True(registry.TryEnter(key, out var q));
                try
                {
                    Assert.True(q.Index.Remove(baseKey + i));
                }
                finally
                {
                    registry.Exit(q);
                }
            }
        }

        await Task.WhenAll(Task.Run(() => Churn(1_000_000)), Task.Run(() => Churn(2_000_000)));
        Assert.Equal(10_000, added);
        Assert.Equal(0, registry.Count);
        Assert.Equal(registry.Created, registry.Dropped);
    }
}
