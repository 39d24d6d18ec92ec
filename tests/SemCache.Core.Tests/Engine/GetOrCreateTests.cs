using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

public sealed class GetOrCreateTests
{
    [Fact]
    public async Task Concurrent_identical_misses_run_the_factory_once()
    {
        await using var cache = Create();
        var calls = 0;
        var gate = new TaskCompletionSource();
        async ValueTask<CacheFill> Factory(CancellationToken ct)
        {
            Interlocked.Increment(ref calls);
            await gate.Task.WaitAsync(ct);
            return new CacheFill { Response = "Paris", Usage = new CacheUsage(1, 1, 0.01) };
        }

        var callers = Enumerable.Range(0, 20)
            .Select(_ => Task.Run(async () => await cache.GetOrCreateAsync(Lookup("acme", "capital of France"), Factory)))
            .ToArray();
        await Task.Delay(100);
        gate.SetResult();
        var results = await Task.WhenAll(callers);

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.Equal("Paris", r.Lookup.Response));
        Assert.Single(results, r => r.Created);
        Assert.Equal(1, (await cache.GetStatsAsync("acme")).Entries);
        Assert.Equal(CacheHitKind.Exact, (await cache.LookupAsync(Lookup("acme", "capital of France"))).Kind);
    }

    [Fact]
    public async Task A_failing_factory_caches_nothing_and_every_waiter_sees_its_exception()
    {
        await using var cache = Create();
        var gate = new TaskCompletionSource();
        var calls = 0;
        async ValueTask<CacheFill> Factory(CancellationToken ct)
        {
            Interlocked.Increment(ref calls);
            await gate.Task;
            throw new InvalidOperationException("LLM unavailable");
        }

        var started = 0;
        var callers = Enumerable.Range(0, 8)
            .Select(_ => Task.Run(async () =>
            {
                Interlocked.Increment(ref started);
                return await cache.GetOrCreateAsync(Lookup("acme", "capital of France"), Factory);
            }))
            .ToArray();

        // The gate opens only once every caller is running and has had time to join the leader's flight: a
        // caller scheduled after the leader failed would lead a flight of its own (a fresh-clone CI run on a
        // loaded machine saw 8 factory calls with a fixed 100 ms wait).
        while (Volatile.Read(ref started) < callers.Length || Volatile.Read(ref calls) == 0)
        {
            await Task.Delay(10);
        }

        await Task.Delay(500);
        gate.SetResult();

        foreach (var c in callers)
        {
            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => c);
            Assert.Equal("LLM unavailable", e.Message);
        }

        Assert.Equal(1, calls);
        Assert.Equal(0, (await cache.GetStatsAsync("acme")).Entries);
        var retry = await cache.GetOrCreateAsync(Lookup("acme", "capital of France"), _ => ValueTask.FromResult(new CacheFill { Response = "Paris" }));
        Assert.True(retry.Created);
    }

    [Fact]
    public async Task A_hit_does_not_run_the_factory()
    {
        await using var cache = Create();
        await cache.StoreAsync(Store("acme", "capital of France", "Paris"));

        var result = await cache.GetOrCreateAsync(Lookup("acme", "capital of France"), _ => throw new InvalidOperationException("must not run"));

        Assert.False(result.Created);
        Assert.Equal("Paris", result.Lookup.Response);
    }

    [Fact]
    public async Task A_cancelled_leader_hands_the_work_to_a_waiting_caller()
    {
        await using var cache = Create();
        using var leaderCts = new CancellationTokenSource();
        var leaderStarted = new TaskCompletionSource();
        var leader = Task.Run(async () => await cache.GetOrCreateAsync(Lookup("acme", "capital of France"), async ct =>
        {
            leaderStarted.SetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return new CacheFill { Response = "never" };
        }, leaderCts.Token));
        await leaderStarted.Task;
        var follower = Task.Run(async () => await cache.GetOrCreateAsync(Lookup("acme", "capital of France"), _ => ValueTask.FromResult(new CacheFill { Response = "Paris" })));
        await Task.Delay(50);

        await leaderCts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);
        var result = await follower;
        Assert.Equal("Paris", result.Lookup.Response);
        Assert.True(result.Created);
    }
    [Fact]
    public async Task A_miss_embeds_the_prompt_once_for_both_the_lookup_and_the_store()
    {
        var embedder = new BagOfWordsEmbedder(Dims);
        await using var cache = Create(embedder: embedder);

        var result = await cache.GetOrCreateAsync(Lookup("acme", "capital of France"), _ => ValueTask.FromResult(new CacheFill { Response = "Paris" }));

        Assert.True(result.Created);
        Assert.Equal(1, embedder.Calls);
        Assert.Equal(CacheHitKind.Semantic, (await cache.LookupAsync(Lookup("acme", "France capital of"))).Kind);
    }
}
