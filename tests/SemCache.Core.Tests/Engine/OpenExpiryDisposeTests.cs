using Microsoft.Extensions.Time.Testing;
using SemCache.Expiry;
using SemCache.Storage;
using SemCache.Tests.Storage;

namespace SemCache.Tests.Engine;

/// <summary>Start and stop: asynchronous open, the expiry queue's bound, and disposal under running operations.</summary>
public sealed class OpenExpiryDisposeTests
{
    [Fact]
    public async Task Replacing_and_invalidating_entries_with_long_lifetimes_keeps_the_expiry_queue_within_twice_the_live_entries()
    {
        await using var cache = TestCache.Create();
        const int prompts = 100;
        for (var round = 0; round < 20; round++)
        {
            for (var i = 0; i < prompts; i++)
            {
                var store = TestCache.Store("t", $"question {i}", $"answer {i} round {round}");
                await cache.StoreAsync(store with { TimeToLive = TimeSpan.FromDays(365) });
            }
        }

        // 2,000 stores of 100 prompts: without compaction the queue would hold 2,000 items.
        var stats = await cache.GetStatsAsync("t");
        Assert.Equal(prompts, stats.Entries);
        Assert.InRange(cache.ExpiryQueueLength, prompts, (2 * prompts) + ExpiryQueue.CompactionMinimum);

        await cache.InvalidateAsync(CacheInvalidation.ForTenant("t"));
        Assert.InRange(cache.ExpiryQueueLength, 0, ExpiryQueue.CompactionMinimum);
    }

    [Fact]
    public void The_expiry_queue_still_hands_out_every_live_entry_in_time_order_after_a_compaction()
    {
        var queue = new ExpiryQueue();
        var live = new Dictionary<long, long>();
        for (long id = 1; id <= 300; id++)
        {
            queue.Add(id, 1000 + id);
            live[id] = 1000 + id;
        }

        // Remove two thirds: stale items outnumber live ones and the queue is rebuilt.
        for (long id = 1; id <= 300; id++)
        {
            if (id % 3 == 0) { continue; }
            live.Remove(id);
            queue.Removed(1000 + id, () => live.Select(kv => (kv.Key, kv.Value)));
        }

        Assert.True(queue.Compactions > 0);
        var due = new List<long>();
        while (queue.TryTakeDue(long.MaxValue, out var id, out _))
        {
            if (live.ContainsKey(id)) { due.Add(id); }
        }

        Assert.Equal(live.Keys.Order(), due);
    }

    [Fact]
    public async Task OpenAsync_recovers_entries_and_deletes_expired_records_from_the_store_before_returning()
    {
        using var directory = new TempDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var options = new SemanticCacheOptions
        {
            DataDirectory = directory.Path,
            Durability = CacheDurability.Durable,
            Dimensions = TestCache.Dims,
            SimilarityThreshold = 0.9f,
        };
        var embedder = new BagOfWordsEmbedder(TestCache.Dims);
        long shortLived, longLived;
        await using (var cache = await SemanticCacheEngine.OpenAsync(options, embedder, timeProvider: time))
        {
            shortLived = (await cache.StoreAsync(TestCache.Store("t", "short lived question", "soon gone") with { TimeToLive = TimeSpan.FromMinutes(1) })).EntryId;
            longLived = (await cache.StoreAsync(TestCache.Store("t", "long lived question", "stays"))).EntryId;
        }

        time.Advance(TimeSpan.FromHours(1));
        await using (var reopened = await SemanticCacheEngine.OpenAsync(options, embedder, timeProvider: time))
        {
            Assert.Equal(1, (await reopened.GetStatsAsync("t")).Entries);
            var hit = await reopened.LookupAsync(new CacheLookupRequest { Tenant = "t", Scope = TestCache.Scope, Prompt = "long lived question" });
            Assert.Equal("stays", hit.Response);
        }

        await using var store = FasterEntryStore.Open(new EntryStoreOptions { DataDirectory = directory.Path, Durability = CacheDurability.Durable });
        Assert.False(store.TryGet(shortLived, out _));
        Assert.True(store.TryGet(longLived, out _));
    }

    [Fact]
    public async Task Disposal_waits_for_a_running_GetOrCreate_and_never_frees_the_store_under_it()
    {
        var cache = TestCache.Create();
        var factoryEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = cache.GetOrCreateAsync(
            new CacheLookupRequest { Tenant = "t", Scope = TestCache.Scope, Prompt = "slow question" },
            async _ =>
            {
                factoryEntered.SetResult();
                await release.Task;
                return new CacheFill { Response = "slow answer" };
            }).AsTask();
        await factoryEntered.Task;

        var disposing = cache.DisposeAsync().AsTask();
        await Task.Yield();
        Assert.False(disposing.IsCompleted);

        release.SetResult();

        // The operation started before disposal: it ends with a clear refusal (the cache is shutting
        // down), never a crash on freed memory; only then does disposal complete.
        await Assert.ThrowsAsync<ObjectDisposedException>(() => running);
        await disposing;
    }
}
