using Grpc.Core;
using SemCache.Cluster;

namespace SemCache.Server.Tests;

/// <summary>
/// A cluster with too few live silos for the configured replicas refuses a store without acknowledging it;
/// the caller must see UNAVAILABLE (retry later), not INTERNAL (a server bug), and the server keeps serving.
/// </summary>
public sealed class ClusterUnavailableServerTests
{
    [Fact]
    public async Task A_store_the_cluster_cannot_replicate_answers_UNAVAILABLE_with_the_reason_and_reads_keep_working()
    {
        var fake = new FakeSemanticCache(ServerHost.Dimensions);
        await using var host = await ServerHost.StartAsync(fake);
        var admin = ServerHost.Headers(ServerHost.AdminKey);
        await host.Raw.StoreAsync(TestData.Store("before", "stored"), admin);

        const string Reason = "2 replicas required, 1 silo alive: nothing was acknowledged";
        fake.StoreFailure = new ClusterUnavailableException(Reason);
        var write = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StoreAsync(TestData.Store("after", "refused"), admin));
        var read = await host.Raw.LookupAsync(TestData.Lookup("before"), admin);

        Assert.Equal(StatusCode.Unavailable, write.StatusCode);
        Assert.Contains("replicas required", write.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(SemCache.Grpc.V1.HitKind.Exact, read.Kind);
    }
}
