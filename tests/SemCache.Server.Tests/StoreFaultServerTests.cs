using System.Net;
using Grpc.Core;
using SemCache.Storage;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>
/// What a caller and a probe see of a faulted store (the storage tests fault a real one with a
/// failing device and restart it): writes UNAVAILABLE, reads served, /healthz unhealthy with the reason.
/// </summary>
public sealed class StoreFaultServerTests
{
    [Fact]
    public async Task A_faulted_store_answers_writes_with_UNAVAILABLE_serves_reads_and_makes_healthz_unhealthy_with_the_reason()
    {
        var fake = new FakeSemanticCache(ServerHost.Dimensions);
        await using var host = await ServerHost.StartAsync(fake, new Dictionary<string, string?> { ["SemCache:Durability"] = "Durable" });
        var admin = ServerHost.Headers(ServerHost.AdminKey);
        await host.Raw.StoreAsync(TestData.Store("before", "stored"), admin);
        using var http = new HttpClient(host.Services.GetTestHandler()) { BaseAddress = new Uri("http://localhost") };
        using var healthyBefore = await http.GetAsync(new Uri("/healthz", UriKind.Relative));

        const string Reason = "a write-ahead log commit failed (No space left on device)";
        StoreFaults.Report(host.DataDirectory, Reason);
        fake.StoreFailure = new StoreFaultedException(Reason);
        try
        {
            var write = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StoreAsync(TestData.Store("after", "refused"), admin));
            var read = await host.Raw.LookupAsync(TestData.Lookup("before"), admin);
            using var health = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
            var body = await health.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, healthyBefore.StatusCode);
            Assert.Equal(StatusCode.Unavailable, write.StatusCode);
            Assert.DoesNotContain(host.DataDirectory, write.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(V1.HitKind.Exact, read.Kind);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Contains("store faulted", body, StringComparison.Ordinal);
            Assert.Contains("No space left on device", body, StringComparison.Ordinal);
        }
        finally
        {
            StoreFaults.Clear(host.DataDirectory);
        }
    }
}
