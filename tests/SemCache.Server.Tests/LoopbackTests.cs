using System.Net.Http.Json;
using System.Text.Json;
using Grpc.Health.V1;
using Grpc.Reflection.V1Alpha;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>The real server on loopback ports with Kestrel: gRPC over HTTP/2 and HTTP/1.1 for the rest.</summary>
public sealed class LoopbackTests
{
    [Fact]
    public async Task The_server_on_loopback_ports_serves_gRPC_health_reflection_metrics_and_dashboard()
    {
        await using var host = await ServerHost.StartAsync(kestrel: true);
        using var client = host.ClientFor(ServerHost.AdminKey);
        var scope = new CacheScope { Model = "gpt-test" };

        await client.StoreAsync(new CacheStoreRequest { Tenant = "default", Scope = scope, Prompt = "hello", Response = "world", Usage = new CacheUsage(120, 30, 0.01) });
        var hit = await client.LookupAsync(new CacheLookupRequest { Tenant = "default", Scope = scope, Prompt = "hello" });
        var miss = await client.LookupAsync(new CacheLookupRequest { Tenant = "default", Scope = scope, Prompt = "unknown" });
        var health = await new Health.HealthClient(host.Channel).CheckAsync(new HealthCheckRequest());
        var services = await ListServicesAsync(host);
        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        var healthz = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var dashboard = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/dashboard", UriKind.Relative));
        var page = await http.GetStringAsync(new Uri("/", UriKind.Relative));
        using var onGrpcPort = new HttpRequestMessage(HttpMethod.Get, new Uri("http://" + host.Channel.Target + "/api/dashboard"))
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        using var dashboardOnGrpcPort = await http.SendAsync(onGrpcPort);

        Assert.Equal(CacheHitKind.Exact, hit.Kind);
        Assert.Equal("world", hit.Response);
        Assert.Equal(CacheHitKind.Miss, miss.Kind);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, health.Status);
        Assert.Contains("semcache.v1.SemanticCache", services);
        Assert.Contains("semcache.v1.KeyAdmin", services);
        Assert.True(healthz.IsSuccessStatusCode);
        Assert.Contains("semcache_server_lookups", metrics, StringComparison.Ordinal);
        Assert.Equal(0.5, dashboard.GetProperty("totals").GetProperty("hitRate").GetDouble(), 3);
        Assert.Equal(150, dashboard.GetProperty("totals").GetProperty("tokensSaved").GetInt64());
        Assert.Equal(System.Net.HttpStatusCode.NotFound, dashboardOnGrpcPort.StatusCode);
        Assert.Contains("<svg", page + await http.GetStringAsync(new Uri("/dashboard.js", UriKind.Relative)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_graceful_stop_a_restarted_server_serves_the_durable_entries_it_acknowledged()
    {
        var data = Directory.CreateTempSubdirectory("semcache-restart-");
        var settings = new Dictionary<string, string?>
        {
            ["SemCache:DataDirectory"] = data.FullName,
            ["SemCache:Durability"] = "Durable",
        };
        var vector = TestData.Vector(21);
        try
        {
            long id;
            await using (var first = await ServerHost.StartAsync(kestrel: true, engine: true, settings: settings))
            {
                id = (await first.Raw.StoreAsync(TestData.Store("kept across restarts", "still here", vector), ServerHost.Headers(ServerHost.AdminKey))).EntryId;
            }

            await using var second = await ServerHost.StartAsync(kestrel: true, engine: true, settings: settings);
            var exact = await second.Raw.LookupAsync(TestData.Lookup("kept across restarts", vector), ServerHost.Headers(ServerHost.AdminKey));
            var semantic = await second.Raw.LookupAsync(TestData.Lookup(null, vector), ServerHost.Headers(ServerHost.AdminKey));

            Assert.Equal(V1.HitKind.Exact, exact.Kind);
            Assert.Equal("still here", exact.Response);
            Assert.Equal(id, exact.EntryId);
            Assert.Equal(V1.HitKind.Semantic, semantic.Kind);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task With_a_certificate_configured_the_gRPC_port_serves_TLS()
    {
        var pfx = Path.Combine(Path.GetTempPath(), $"semcache-tls-{Guid.NewGuid():n}.pfx");
        using (var key = System.Security.Cryptography.ECDsa.Create())
        {
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
            await File.WriteAllBytesAsync(pfx, certificate.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx));
        }

        try
        {
            await using var host = await ServerHost.StartAsync(kestrel: true, settings: new Dictionary<string, string?> { ["SemCache:Server:TlsCertificatePath"] = pfx });
            using var client = host.ClientFor(ServerHost.AdminKey);

            var stats = await client.GetStatsAsync("default");
            using var plain = global::Grpc.Net.Client.GrpcChannel.ForAddress("http://" + host.Channel.Target);
            using var plainClient = new SemCache.Client.SemanticCacheClient(plain, ServerHost.AdminKey);
            var refused = await Assert.ThrowsAnyAsync<Exception>(async () => await plainClient.GetStatsAsync("default"));

            Assert.Equal("default", stats.Tenant);
            Assert.IsType<global::Grpc.Core.RpcException>(refused);
        }
        finally
        {
            File.Delete(pfx);
        }
    }

    private static async Task<List<string>> ListServicesAsync(ServerHost host)
    {
        using var call = new ServerReflection.ServerReflectionClient(host.Channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = string.Empty });
        await call.RequestStream.CompleteAsync();
        var names = new List<string>();
        while (await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            names.AddRange(call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name));
        }

        return names;
    }
}
