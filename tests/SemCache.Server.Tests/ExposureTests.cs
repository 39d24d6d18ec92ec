using System.Net;
using System.Net.Http.Headers;
using Grpc.Core;
using SemCache.Server.Hosting;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>What each port shows to whom: HttpPort 0, the Host check, the metrics role, TLS off loopback.</summary>
public sealed class ExposureTests
{
    [Fact]
    public async Task With_HttpPort_0_metrics_dashboard_and_healthz_answer_404_on_the_gRPC_port()
    {
        await using var host = await ServerHost.StartAsync(kestrel: true, settings: new Dictionary<string, string?> { ["SemCache:Server:HttpPort"] = "0" });
        using var http = new HttpClient();

        var statuses = new List<HttpStatusCode>();
        foreach (var path in new[] { "/metrics", "/api/dashboard", "/", "/healthz" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("http://" + host.Channel.Target + path))
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            using var response = await http.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        var stats = await host.Raw.StatsAsync(new V1.StatsRequest(), ServerHost.Headers(ServerHost.AdminKey));

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.NotFound, s));
        Assert.Equal("default", stats.Tenant);
    }

    [Fact]
    public async Task The_HTTP_port_listens_on_its_own_address()
    {
        // 127.0.0.2 is loopback on Linux, so the test can tell two addresses apart without a network.
        await using var host = await ServerHost.StartAsync(kestrel: true, settings: new Dictionary<string, string?> { ["SemCache:Server:HttpListenAddress"] = "127.0.0.2" });
        using var http = new HttpClient();
        var port = host.HttpAddress!.Port;

        using var onItsAddress = await http.GetAsync(new Uri($"http://127.0.0.2:{port}/healthz"));
        var onGrpcAddress = await Assert.ThrowsAsync<HttpRequestException>(async () => await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz")));

        Assert.Equal(HttpStatusCode.OK, onItsAddress.StatusCode);
        Assert.NotNull(onGrpcAddress);
    }

    [Theory]
    [InlineData("localhost", HttpStatusCode.OK)]
    [InlineData("127.0.0.1", HttpStatusCode.OK)]
    [InlineData("attacker.example", HttpStatusCode.BadRequest)]
    public async Task The_HTTP_port_answers_only_to_allowed_host_names(string hostName, HttpStatusCode expected)
    {
        await using var host = await ServerHost.StartAsync();
        using var http = new HttpClient(host.Services.GetTestHandler()) { BaseAddress = new Uri("http://localhost") };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/api/dashboard", UriKind.Relative));
        request.Headers.Host = hostName;

        using var response = await http.SendAsync(request);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task With_HttpRequireKey_metrics_and_dashboard_need_a_metrics_or_operator_key_and_healthz_stays_open()
    {
        await using var host = await ServerHost.StartAsync(settings: new Dictionary<string, string?> { ["SemCache:Server:HttpRequireKey"] = "true" });
        var metricsKey = await host.CreateKeyAsync("ops", V1.Role.Metrics);
        var readKey = await host.CreateKeyAsync("acme", V1.Role.Read);
        using var http = new HttpClient(host.Services.GetTestHandler()) { BaseAddress = new Uri("http://localhost") };

        async Task<HttpStatusCode> Get(string path, string? key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            if (key is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            }

            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }

        var metricsKeyOnLookup = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupAsync(TestData.Lookup("x"), ServerHost.Headers(metricsKey)));

        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/metrics", null));
        Assert.Equal(HttpStatusCode.Unauthorized, await Get("/api/dashboard", "not-a-key"));
        Assert.Equal(HttpStatusCode.Forbidden, await Get("/api/dashboard", readKey));
        Assert.Equal(HttpStatusCode.OK, await Get("/metrics", metricsKey));
        Assert.Equal(HttpStatusCode.OK, await Get("/api/dashboard", metricsKey));
        Assert.Equal(HttpStatusCode.OK, await Get("/api/dashboard", ServerHost.AdminKey));
        Assert.Equal(HttpStatusCode.OK, await Get("/healthz", null));
        Assert.Equal(StatusCode.PermissionDenied, metricsKeyOnLookup.StatusCode);
    }

    [Fact]
    public async Task Metrics_export_lookup_durations_in_seconds_with_sub_millisecond_buckets_one_outcome_attribute_and_the_model()
    {
        await using var host = await ServerHost.StartAsync(engine: true);
        await host.Raw.LookupAsync(TestData.Lookup("nothing cached", TestData.Vector(3)), ServerHost.Headers(ServerHost.AdminKey));
        using var http = new HttpClient(host.Services.GetTestHandler()) { BaseAddress = new Uri("http://localhost") };

        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var buckets = metrics.Split('\n').Where(l => l.StartsWith("semcache_lookup_duration_seconds_bucket{", StringComparison.Ordinal)).ToList();

        // This lookup's series: a sub-millisecond bucket, the miss outcome, the model. Servers of tests running in
        // parallel record into the same named instruments, so other series may appear; each carries exactly one
        // outcome attribute and a model.
        Assert.Contains(buckets, l => l.Contains("le=\"0.00025\"", StringComparison.Ordinal)
            && l.Contains("semcache_lookup_outcome=\"miss\"", StringComparison.Ordinal)
            && l.Contains("gen_ai_request_model=\"gpt-test\"", StringComparison.Ordinal));
        Assert.All(buckets, l => Assert.Single(System.Text.RegularExpressions.Regex.Matches(l, "semcache_lookup_outcome=")));
        Assert.All(buckets, l => Assert.Contains("gen_ai_request_model=", l, StringComparison.Ordinal));
        Assert.Contains("semcache_server_lookups_total{", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("semcache_hit=", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.0.0.0", null, false, false)]
    [InlineData("::", null, false, false)]
    [InlineData("0.0.0.0", null, true, true)]
    [InlineData("127.0.0.1", null, false, true)]
    [InlineData("::1", null, false, true)]
    public void A_non_loopback_gRPC_address_without_TLS_is_refused_unless_AllowInsecure(string address, string? certificate, bool allowInsecure, bool valid)
    {
        var result = new ServerOptionsValidator().Validate(null, new ServerOptions { ListenAddress = address, TlsCertificatePath = certificate, AllowInsecure = allowInsecure });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("AllowInsecure", result.FailureMessage, StringComparison.Ordinal);
        }
    }
}
