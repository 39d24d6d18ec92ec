using Grpc.Core;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>Keys, roles and tenant isolation: tenant A's key reaches nothing of tenant B by any RPC.</summary>
public sealed class AuthAndIsolationTests
{
    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    [InlineData("test-admin-key-0123456789abcdeX")]
    public async Task Calls_without_a_valid_key_are_unauthenticated(string? key)
    {
        await using var host = await ServerHost.StartAsync();
        var headers = key is null ? new Metadata() : ServerHost.Headers(key);

        var lookup = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupAsync(TestData.Lookup("x"), headers));
        var store = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StoreAsync(TestData.Store("x", "y"), headers));
        var admin = await Assert.ThrowsAsync<RpcException>(async () => await host.Admin.ListKeysAsync(new V1.ListKeysRequest(), headers));

        Assert.All([lookup, store, admin], e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
        Assert.Equal(0, ((FakeSemanticCache)host.Cache).Count);
    }

    [Fact]
    public async Task The_x_api_key_header_is_accepted_too()
    {
        await using var host = await ServerHost.StartAsync();

        var stats = await host.Raw.StatsAsync(new V1.StatsRequest(), new Metadata { { "x-api-key", ServerHost.AdminKey } });

        Assert.Equal("default", stats.Tenant);
    }

    [Fact]
    public async Task A_read_key_may_look_up_but_not_write_nor_administer()
    {
        await using var host = await ServerHost.StartAsync();
        var read = ServerHost.Headers(await host.CreateKeyAsync("acme", V1.Role.Read));

        var lookup = await host.Raw.LookupAsync(TestData.Lookup("x"), read);
        var denied = new[]
        {
            await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StoreAsync(TestData.Store("x", "y"), read)),
            await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.InvalidateAsync(new V1.InvalidateRequest { AllEntries = true }, read)),
            await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.DeleteAsync(new V1.DeleteRequest { EntryId = 1 }, read)),
            await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.ReportHitAsync(new V1.ReportHitRequest { EntryId = 1 }, read)),
            await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StatsAsync(new V1.StatsRequest { AllTenants = true }, read)),
            await Assert.ThrowsAsync<RpcException>(async () => await host.Admin.CreateKeyAsync(new V1.CreateKeyRequest { Tenant = "acme", Role = V1.Role.Admin }, read)),
            await Assert.ThrowsAsync<RpcException>(async () => await host.Admin.RevokeKeyAsync(new V1.RevokeKeyRequest { KeyId = "x" }, read)),
        };

        Assert.Equal(V1.HitKind.Miss, lookup.Kind);
        Assert.All(denied, e => Assert.Equal(StatusCode.PermissionDenied, e.StatusCode));
    }

    [Fact]
    public async Task A_write_key_may_store_but_not_administer()
    {
        await using var host = await ServerHost.StartAsync();
        var write = ServerHost.Headers(await host.CreateKeyAsync("acme", V1.Role.Write));

        var stored = await host.Raw.StoreAsync(TestData.Store("x", "y"), write);
        var denied = await Assert.ThrowsAsync<RpcException>(async () => await host.Admin.ListKeysAsync(new V1.ListKeysRequest(), write));

        Assert.True(stored.EntryId > 0);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Tenant_A_reaches_none_of_tenant_Bs_entries_through_any_RPC(bool engine)
    {
        await using var host = await ServerHost.StartAsync(engine: engine);
        var a = ServerHost.Headers(await host.CreateKeyAsync("tenant-a", V1.Role.Write));
        var b = ServerHost.Headers(await host.CreateKeyAsync("tenant-b", V1.Role.Write));
        var vector = TestData.Vector(7);
        var secret = await host.Raw.StoreAsync(TestData.Store("the shared prompt", "B's secret answer", vector, "doc:1"), b);
        var bStatsBefore = await host.Raw.StatsAsync(new V1.StatsRequest(), b);

        // Identical prompt, identical vector, B's tag, B's entry id, B's scope: from A's key.
        var exact = await host.Raw.LookupAsync(TestData.Lookup("the shared prompt", vector), a);
        var semantic = await host.Raw.LookupAsync(TestData.Lookup(prompt: null, vector), a);
        var batch = new V1.LookupBatchRequest();
        batch.Requests.Add(TestData.Lookup("the shared prompt", vector));
        batch.Requests.Add(TestData.Lookup(prompt: null, vector));
        var batched = await host.Raw.LookupBatchAsync(batch, a);
        var byTag = await host.Raw.InvalidateAsync(new V1.InvalidateRequest { Tag = "doc:1" }, a);
        var byScope = await host.Raw.InvalidateAsync(new V1.InvalidateRequest { Scope = TestData.Scope() }, a);
        var all = await host.Raw.InvalidateAsync(new V1.InvalidateRequest { AllEntries = true }, a);
        var deleted = await host.Raw.DeleteAsync(new V1.DeleteRequest { EntryId = secret.EntryId }, a);
        var reported = await host.Raw.ReportHitAsync(new V1.ReportHitRequest { EntryId = secret.EntryId, Correct = false }, a);
        var aStats = await host.Raw.StatsAsync(new V1.StatsRequest(), a);

        Assert.Equal(V1.HitKind.Miss, exact.Kind);
        Assert.Equal(V1.HitKind.Miss, semantic.Kind);
        Assert.Equal(0f, semantic.Similarity);
        Assert.All(batched.Results, r => Assert.Equal(V1.HitKind.Miss, r.Kind));
        Assert.All(new[] { exact, semantic }.Concat(batched.Results), r => Assert.False(r.HasResponse));
        Assert.Equal(0, byTag.Removed + byScope.Removed + all.Removed);
        Assert.False(deleted.Deleted);
        Assert.False(reported.Known);
        Assert.Equal("tenant-a", aStats.Tenant);
        Assert.Equal(0, aStats.Entries);

        // Nothing of B's changed: the entry is still served to B, and B's entry count is the same.
        var stillThere = await host.Raw.LookupAsync(TestData.Lookup("the shared prompt", vector), b);
        var bStatsAfter = await host.Raw.StatsAsync(new V1.StatsRequest(), b);
        Assert.Equal("B's secret answer", stillThere.Response);
        Assert.Equal(secret.EntryId, stillThere.EntryId);
        Assert.Equal(1, bStatsBefore.Entries);
        Assert.Equal(bStatsBefore.Entries, bStatsAfter.Entries);
    }

    [Fact]
    public async Task Stats_of_all_tenants_needs_an_admin_key()
    {
        await using var host = await ServerHost.StartAsync();
        var a = ServerHost.Headers(await host.CreateKeyAsync("tenant-a", V1.Role.Write));
        await host.Raw.StoreAsync(TestData.Store("x", "y"), a);
        await host.Raw.StoreAsync(TestData.Store("x", "y"), ServerHost.Headers(ServerHost.AdminKey));

        var all = await host.Raw.StatsAsync(new V1.StatsRequest { AllTenants = true }, ServerHost.Headers(ServerHost.AdminKey));

        Assert.Equal(string.Empty, all.Tenant);
        Assert.Equal(2, all.Entries);
    }

    [Fact]
    public async Task Creating_a_key_with_an_invalid_tenant_or_role_is_invalid_argument()
    {
        await using var host = await ServerHost.StartAsync();
        var admin = ServerHost.Headers(ServerHost.AdminKey);

        var badTenant = await Assert.ThrowsAsync<RpcException>(async () => await host.Admin.CreateKeyAsync(new V1.CreateKeyRequest { Tenant = "a/b", Role = V1.Role.Read }, admin));
        var noRole = await Assert.ThrowsAsync<RpcException>(async () => await host.Admin.CreateKeyAsync(new V1.CreateKeyRequest { Tenant = "ok" }, admin));

        Assert.Equal(StatusCode.InvalidArgument, badTenant.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, noRole.StatusCode);
    }
}
