using Grpc.Core;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>A batch costs its size against the key's rate, and one tenant's batch holds a bounded share of the engine.</summary>
public sealed class FairnessTests
{
    [Fact]
    public async Task A_LookupBatch_costs_one_token_per_lookup_against_the_key_rate()
    {
        // A burst of 10 and a refill of one per second: a batch of 8 fits, a second one does not.
        await using var host = await ServerHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["SemCache:Server:RequestsPerSecondPerKey"] = "1",
            ["SemCache:Server:RequestBurstPerKey"] = "10",
        });
        var admin = ServerHost.Headers(ServerHost.AdminKey);
        var batch = new V1.LookupBatchRequest();
        for (var i = 0; i < 8; i++)
        {
            batch.Requests.Add(TestData.Lookup("q" + i));
        }

        var first = await host.Raw.LookupBatchAsync(batch, admin);
        var second = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupBatchAsync(batch, admin));

        Assert.Equal(8, first.Results.Count);
        Assert.Equal(StatusCode.ResourceExhausted, second.StatusCode);
        Assert.Contains("RequestsPerSecondPerKey", second.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task One_tenants_batch_runs_at_most_its_share_of_lookups_at_once_and_another_tenant_still_gets_through()
    {
        var fake = new FakeSemanticCache(ServerHost.Dimensions) { LookupDelay = TimeSpan.FromMilliseconds(20) };
        await using var host = await ServerHost.StartAsync(fake, new Dictionary<string, string?> { ["SemCache:Server:MaxConcurrentLookupsPerTenant"] = "4" });
        var other = ServerHost.Headers(await host.CreateKeyAsync("other", V1.Role.Read));
        var batch = new V1.LookupBatchRequest();
        for (var i = 0; i < 64; i++)
        {
            batch.Requests.Add(TestData.Lookup("q" + i));
        }

        var big = host.Raw.LookupBatchAsync(batch, ServerHost.Headers(ServerHost.AdminKey)).ResponseAsync;
        var small = await host.Raw.LookupAsync(TestData.Lookup("mine"), other);
        var bigDoneWhenSmallWas = big.IsCompleted;
        var results = await big;

        Assert.Equal(64, results.Results.Count);
        Assert.Equal(V1.HitKind.Miss, small.Kind);

        // 64 lookups, 4 at a time: the other tenant's one lookup did not wait for all 16 rounds.
        Assert.False(bigDoneWhenSmallWas);

        // The default tenant ran at most 4 at once, plus the other tenant's one.
        Assert.InRange(fake.MaxConcurrentLookups, 1, 5);
    }
}
