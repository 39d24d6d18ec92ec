using SemCache.Storage;
using SemCache.Tests.Storage;

namespace SemCache.Tests.Engine;

/// <summary>Eviction removes everything one store needs in one store batch (one write-ahead log commit), not one victim at a time.</summary>
public sealed class EvictionBatchTests
{
    [Fact]
    public async Task A_store_that_needs_many_victims_evicts_them_in_one_batch_and_lands_within_the_limit()
    {
        const long limit = 96 * 1024;
        var store = new CountingStore(TestCache.SmallStore());
        // Least recently used: the cost-aware default would rather evict the one large newcomer itself.
        await using var cache = TestCache.Create(
            o =>
            {
                o.MaxBytes = limit;
                o.EvictionPolicy = CacheEvictionPolicy.LeastRecentlyUsed;
            },
            store);

        // Fill until eviction has started: the cache is now close to its limit.
        for (var i = 0; (await cache.GetStatsAsync(null)).Evictions == 0; i++)
        {
            await cache.StoreAsync(TestCache.Store("t", $"small question {i}", "short answer"));
        }

        var evictionsBefore = (await cache.GetStatsAsync(null)).Evictions;
        var batchesBefore = store.DeleteManyCalls;

        // About a third of the limit: only many small victims make room for it.
        await cache.StoreAsync(TestCache.Store("t", "one large question", new string('x', (int)(limit / 6))));

        var stats = await cache.GetStatsAsync(null);
        Assert.True(stats.Evictions - evictionsBefore >= 5, $"{stats.Evictions - evictionsBefore} evicted");
        Assert.Equal(1, store.DeleteManyCalls - batchesBefore);
        Assert.InRange(stats.Bytes, 0, limit);
        Assert.True((await cache.LookupAsync(TestCache.Lookup("t", "one large question"))).IsHit);
    }

    [Fact]
    public async Task Eviction_never_picks_one_entry_twice_when_the_whole_population_must_go()
    {
        // A small population is chosen from exhaustively; a victim chosen twice would be one removal short
        // and leave the count over the limit.
        var store = new CountingStore(TestCache.SmallStore());
        await using var cache = TestCache.Create(o => o.MaxEntries = 3, store);
        for (var i = 0; i < 10; i++)
        {
            await cache.StoreAsync(TestCache.Store("t", $"question {i}", "answer"));
            Assert.InRange((await cache.GetStatsAsync(null)).Entries, 1, 3);
        }

        Assert.Equal(7, (await cache.GetStatsAsync(null)).Evictions);
    }

    /// <summary>Passes everything to the real store and counts batch deletes.</summary>
    private sealed class CountingStore(IEntryStore inner) : ForwardingEntryStore(inner)
    {
        private int _deleteManyCalls;

        public int DeleteManyCalls => Volatile.Read(ref _deleteManyCalls);

        public override ValueTask<int> DeleteManyAsync(IReadOnlyCollection<long> entryIds, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _deleteManyCalls);
            return base.DeleteManyAsync(entryIds, cancellationToken);
        }
    }
}
