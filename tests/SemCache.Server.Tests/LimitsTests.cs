using Grpc.Core;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>Each limit answers InvalidArgument or ResourceExhausted with a message naming it.</summary>
public sealed class LimitsTests
{
    private static readonly Metadata Admin = ServerHost.Headers(ServerHost.AdminKey);

    [Fact]
    public async Task A_vector_of_the_wrong_dimension_names_the_models_dimension()
    {
        await using var host = await ServerHost.StartAsync();

        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupAsync(TestData.Lookup(null, new float[ServerHost.Dimensions + 1]), Admin));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("Dimensions is 8", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("vector", e.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations.Single().Field);
    }

    [Fact]
    public async Task A_vector_with_NaN_is_invalid_argument()
    {
        await using var host = await ServerHost.StartAsync();
        var vector = TestData.Vector(1);
        vector[3] = float.NaN;

        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StoreAsync(TestData.Store("p", "r", vector), Admin));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("vector component 3", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_server_applies_the_engines_own_rules_whatever_cache_it_hosts()
    {
        // A zero vector and a control character in a tag break only rules of the engine's
        // RequestValidator; the fake cache behind this server would accept both.
        await using var host = await ServerHost.StartAsync();

        var zero = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupAsync(TestData.Lookup(null, new float[ServerHost.Dimensions]), Admin));
        var tag = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StoreAsync(TestData.Store("p", "r", null, "bad\u0001tag"), Admin));

        Assert.Equal(StatusCode.InvalidArgument, zero.StatusCode);
        Assert.Contains("zero vector", zero.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("vector", zero.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations.Single().Field);
        Assert.Equal(StatusCode.InvalidArgument, tag.StatusCode);
        Assert.Contains("control character", tag.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(0, ((FakeSemanticCache)host.Cache).Count);
    }

    [Fact]
    public async Task A_prompt_over_the_limit_names_MaxPromptLength()
    {
        await using var host = await ServerHost.StartAsync(settings: new Dictionary<string, string?> { ["SemCache:MaxPromptLength"] = "100" });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupAsync(TestData.Lookup(new string('x', 101)), Admin));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("MaxPromptLength", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_over_the_limit_names_MaxBatchSize()
    {
        await using var host = await ServerHost.StartAsync(settings: new Dictionary<string, string?> { ["SemCache:Server:MaxBatchSize"] = "4" });
        var batch = new V1.LookupBatchRequest();
        for (var i = 0; i < 5; i++)
        {
            batch.Requests.Add(TestData.Lookup("p" + i));
        }

        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupBatchAsync(batch, Admin));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("MaxBatchSize", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_resource_exhausted()
    {
        await using var host = await ServerHost.StartAsync(settings: new Dictionary<string, string?> { ["SemCache:Server:MaxMessageBytes"] = "1024" });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StoreAsync(TestData.Store("p", new string('r', 4096)), Admin));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
    }

    [Fact]
    public async Task Stores_past_the_tenants_entry_quota_are_resource_exhausted_and_change_nothing()
    {
        await using var host = await ServerHost.StartAsync(settings: new Dictionary<string, string?> { ["SemCache:Server:MaxEntriesPerTenant"] = "2" });
        await host.Raw.StoreAsync(TestData.Store("a", "A"), Admin);
        await host.Raw.StoreAsync(TestData.Store("b", "B"), Admin);

        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StoreAsync(TestData.Store("c", "C"), Admin));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("MaxEntriesPerTenant", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("tenant:default", e.GetRpcStatus()?.GetDetail<Google.Rpc.QuotaFailure>()?.Violations.Single().Subject);
        Assert.Equal(2, ((FakeSemanticCache)host.Cache).Count);
    }

    [Fact]
    public async Task Stores_past_the_tenants_byte_quota_are_resource_exhausted()
    {
        await using var host = await ServerHost.StartAsync(settings: new Dictionary<string, string?> { ["SemCache:Server:MaxBytesPerTenant"] = "100" });

        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StoreAsync(TestData.Store("p", new string('r', 200)), Admin));

        Assert.Equal(StatusCode.ResourceExhausted, e.StatusCode);
        Assert.Contains("MaxBytesPerTenant", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_past_the_per_key_rate_are_resource_exhausted_naming_the_limit()
    {
        // A burst of 3 and a refill of one per second: the fourth call in a row must be refused.
        await using var host = await ServerHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["SemCache:Server:RequestsPerSecondPerKey"] = "1",
            ["SemCache:Server:RequestBurstPerKey"] = "3",
        });
        var statuses = new List<StatusCode>();
        for (var i = 0; i < 6; i++)
        {
            try
            {
                await host.Raw.StatsAsync(new V1.StatsRequest(), Admin);
                statuses.Add(StatusCode.OK);
            }
            catch (RpcException e)
            {
                statuses.Add(e.StatusCode);
                Assert.Contains("RequestsPerSecondPerKey", e.Status.Detail, StringComparison.Ordinal);
            }
        }

        Assert.Contains(StatusCode.ResourceExhausted, statuses);
        Assert.Equal(StatusCode.OK, statuses[0]);
    }

    [Fact]
    public async Task Errors_of_the_engine_keep_their_message_as_invalid_argument()
    {
        await using var host = await ServerHost.StartAsync(cache: new ThrowingCache(new ArgumentException("Scope.Model is odd.", "Scope.Model")));

        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupAsync(TestData.Lookup("x"), Admin));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("Scope.Model is odd.", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unexpected_engine_errors_answer_internal_without_details_and_the_server_keeps_serving()
    {
        await using var host = await ServerHost.StartAsync(cache: new ThrowingCache(new InvalidOperationException("secret internals")));

        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupAsync(TestData.Lookup("x"), Admin));
        var again = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupAsync(TestData.Lookup("x"), Admin));

        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.DoesNotContain("secret", e.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(StatusCode.Internal, again.StatusCode);
    }

    private sealed class ThrowingCache(Exception exception) : ISemanticCache
    {
        public ValueTask<CacheLookupResult> LookupAsync(CacheLookupRequest request, CancellationToken cancellationToken = default) => throw exception;

        public ValueTask<IReadOnlyList<CacheLookupResult>> LookupBatchAsync(IReadOnlyList<CacheLookupRequest> requests, CancellationToken cancellationToken = default) => throw exception;

        public ValueTask<CacheStoreResult> StoreAsync(CacheStoreRequest request, CancellationToken cancellationToken = default) => throw exception;

        public ValueTask<CacheGetOrCreateResult> GetOrCreateAsync(CacheLookupRequest request, Func<CancellationToken, ValueTask<CacheFill>> factory, CancellationToken cancellationToken = default) => throw exception;

        public ValueTask<long> InvalidateAsync(CacheInvalidation invalidation, CancellationToken cancellationToken = default) => throw exception;

        public ValueTask<bool> ReportHitAsync(CacheHitFeedback feedback, CancellationToken cancellationToken = default) => throw exception;

        public ValueTask<CacheStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken = default) => ValueTask.FromResult(new CacheStats { Tenant = tenant });
    }
}
