namespace SemCache.Tests.Engine;

/// <summary>The single-flight shared by the engine and the client.</summary>
public sealed class SingleFlightTests
{
    private static CacheLookupResult Answer(string text) => new() { Kind = CacheHitKind.Miss, Response = text };

    [Fact]
    public async Task Concurrent_callers_of_one_key_run_the_work_once_and_share_its_result()
    {
        var flights = new SingleFlight<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        async ValueTask<CacheLookupResult> Work(bool takingOver, CancellationToken ct)
        {
            Interlocked.Increment(ref runs);
            await gate.Task;
            return Answer("one");
        }

        var leader = flights.RunAsync(1, Work).AsTask();
        var waiters = Enumerable.Range(0, 5).Select(_ => flights.RunAsync(1, Work).AsTask()).ToArray();
        gate.SetResult();
        var all = await Task.WhenAll([leader, .. waiters]);

        Assert.Equal(1, runs);
        Assert.All(all, r => Assert.Equal("one", r.Result.Response));
        Assert.False(all[0].Coalesced);
        Assert.All(all.Skip(1), r => Assert.True(r.Coalesced));
        Assert.Equal(0, flights.Count);
    }

    [Fact]
    public async Task A_cancelled_leader_does_not_fault_its_waiters_one_of_them_takes_over()
    {
        var flights = new SingleFlight<string>(StringComparer.Ordinal);
        using var leaderCancel = new CancellationTokenSource();
        var leaderStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leader = flights.RunAsync(
            "k",
            async (_, ct) =>
            {
                leaderStarted.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
                return Answer("never");
            },
            leaderCancel.Token).AsTask();
        await leaderStarted.Task;

        var tookOver = false;
        var waiter = flights.RunAsync(
            "k",
            (takingOver, _) =>
            {
                tookOver = takingOver;
                return ValueTask.FromResult(Answer("from the waiter"));
            }).AsTask();
        await leaderCancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leader);
        var (result, coalesced) = await waiter;
        Assert.Equal("from the waiter", result.Response);
        Assert.False(coalesced);
        Assert.True(tookOver);
    }

    [Fact]
    public async Task A_failing_leader_shares_its_failure_with_the_waiters()
    {
        var flights = new SingleFlight<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leader = flights.RunAsync(1, async (_, _) =>
        {
            await gate.Task;
            throw new InvalidOperationException("the LLM failed");
        }).AsTask();
        var waiter = flights.RunAsync(1, (_, _) => ValueTask.FromResult(Answer("unused"))).AsTask();
        gate.SetResult();

        Assert.Equal("the LLM failed", (await Assert.ThrowsAsync<InvalidOperationException>(() => leader)).Message);
        Assert.Equal("the LLM failed", (await Assert.ThrowsAsync<InvalidOperationException>(() => waiter)).Message);
    }

    [Fact]
    public async Task A_waiter_that_gives_up_ends_only_its_own_wait()
    {
        var flights = new SingleFlight<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var leader = flights.RunAsync(1, async (_, _) =>
        {
            await gate.Task;
            return Answer("done");
        }).AsTask();
        using var giveUp = new CancellationTokenSource();
        var waiter = flights.RunAsync(1, (_, _) => ValueTask.FromResult(Answer("unused")), giveUp.Token).AsTask();
        await giveUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter);
        gate.SetResult();
        Assert.Equal("done", (await leader).Result.Response);
    }
}
