using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SemCache.Server.Auth;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>Keys: revocation that sticks, tenant-scoped admins, random ids, bootstrap rotation, the file's lock and modes.</summary>
public sealed class KeyStoreTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("semcache-keys-");

    public void Dispose() => _data.Delete(recursive: true);

    private ApiKeyStore Open() => new(
        Options.Create(new ServerOptions()),
        Options.Create(new SemanticCacheOptions { DataDirectory = _data.FullName }),
        TimeProvider.System);

    [Fact]
    public async Task A_revoked_key_fails_on_every_check_that_starts_after_the_revocation_even_under_concurrent_use()
    {
        using var keys = Open();
        for (var round = 0; round < 20; round++)
        {
            var (record, secret) = keys.Create("acme", ApiKeyRole.Read, null);
            var revoked = 0;
            var lateSuccesses = 0;
            var checks = 0;
            using var stop = new CancellationTokenSource();

            // Checkers race the revocation: each notes whether its check began after Revoke returned.
            var checkers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var after = Volatile.Read(ref revoked) == 1;
                    var ok = keys.TryAuthenticate(secret, out var _);
                    Interlocked.Increment(ref checks);
                    if (after && ok)
                    {
                        Interlocked.Increment(ref lateSuccesses);
                    }
                }
            })).ToArray();

            while (Volatile.Read(ref checks) < 200)
            {
                await Task.Yield();
            }

            Assert.True(keys.Revoke(record.Id));
            Volatile.Write(ref revoked, 1);
            var seen = Volatile.Read(ref checks);
            while (Volatile.Read(ref checks) < seen + 2_000)
            {
                await Task.Yield();
            }

            await stop.CancelAsync();
            await Task.WhenAll(checkers);

            Assert.Equal(0, lateSuccesses);
            Assert.False(keys.TryAuthenticate(secret, out _));
        }
    }

    [Fact]
    public async Task Over_gRPC_a_revoked_key_fails_on_the_very_next_call_while_other_calls_use_it()
    {
        await using var host = await ServerHost.StartAsync();
        var secret = await host.CreateKeyAsync("acme", V1.Role.Read);
        var keyId = (await host.Admin.ListKeysAsync(new V1.ListKeysRequest(), ServerHost.Headers(ServerHost.AdminKey))).Keys.Single(k => k.Tenant == "acme").KeyId;
        using var stop = new CancellationTokenSource();
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await host.Raw.LookupAsync(TestData.Lookup("x"), ServerHost.Headers(secret));
                }
                catch (RpcException)
                {
                    // Expected once revoked.
                }
            }
        })).ToArray();
        await host.Raw.LookupAsync(TestData.Lookup("x"), ServerHost.Headers(secret));

        var revoked = await host.Admin.RevokeKeyAsync(new V1.RevokeKeyRequest { KeyId = keyId }, ServerHost.Headers(ServerHost.AdminKey));
        var next = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupAsync(TestData.Lookup("x"), ServerHost.Headers(secret)));
        await stop.CancelAsync();
        await Task.WhenAll(load);

        Assert.True(revoked.Revoked);
        Assert.Equal(StatusCode.Unauthenticated, next.StatusCode);
    }

    [Fact]
    public async Task A_tenant_admin_sees_creates_and_revokes_keys_of_its_own_tenant_only()
    {
        await using var host = await ServerHost.StartAsync();
        var adminA = ServerHost.Headers(await host.CreateKeyAsync("tenant-a", V1.Role.Admin));
        await host.CreateKeyAsync("tenant-b", V1.Role.Read);
        var keyOfB = (await host.Admin.ListKeysAsync(new V1.ListKeysRequest(), ServerHost.Headers(ServerHost.AdminKey))).Keys.Single(k => k.Tenant == "tenant-b");

        var listed = await host.Admin.ListKeysAsync(new V1.ListKeysRequest(), adminA);
        var revokeB = await host.Admin.RevokeKeyAsync(new V1.RevokeKeyRequest { KeyId = keyOfB.KeyId }, adminA);
        var createForB = await Assert.ThrowsAsync<RpcException>(async () => await host.Admin.CreateKeyAsync(new V1.CreateKeyRequest { Tenant = "tenant-b", Role = V1.Role.Read }, adminA));
        var createOperator = await Assert.ThrowsAsync<RpcException>(async () => await host.Admin.CreateKeyAsync(new V1.CreateKeyRequest { Tenant = "tenant-a", Role = V1.Role.Operator }, adminA));
        var createOwn = await host.Admin.CreateKeyAsync(new V1.CreateKeyRequest { Tenant = "tenant-a", Role = V1.Role.Write }, adminA);
        var allTenants = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StatsAsync(new V1.StatsRequest { AllTenants = true }, adminA));
        var stillThere = await host.Admin.ListKeysAsync(new V1.ListKeysRequest(), ServerHost.Headers(ServerHost.AdminKey));

        Assert.All(listed.Keys, k => Assert.Equal("tenant-a", k.Tenant));
        Assert.False(revokeB.Revoked);
        Assert.Contains(stillThere.Keys, k => k.KeyId == keyOfB.KeyId);
        Assert.Equal(StatusCode.PermissionDenied, createForB.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, createOperator.StatusCode);
        Assert.Equal("tenant-a", createOwn.Key.Tenant);
        Assert.Equal(StatusCode.PermissionDenied, allTenants.StatusCode);
    }

    [Fact]
    public void Key_ids_are_random_not_derived_from_the_secret()
    {
        using var keys = Open();
        var (record, secret) = keys.Create("acme", ApiKeyRole.Read, null);
        var hashPrefix = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret))[..8]);

        Assert.NotEqual(hashPrefix, record.Id);
        Assert.Equal(16, record.Id.Length);
        Assert.DoesNotContain(hashPrefix, File.ReadAllText(keys.FilePath), StringComparison.Ordinal);
        Assert.True(keys.TryAuthenticate(secret, out var identity));
        Assert.Equal(record.Id, identity.KeyId);
    }

    [Fact]
    public void A_changed_SEMCACHE_ADMIN_KEY_revokes_the_bootstrap_key_it_replaces_and_keeps_the_others()
    {
        const string Old = "old-admin-key-0123456789abcdef";
        const string New = "new-admin-key-0123456789abcdef";
        string other;
        using (var first = Open())
        {
            first.ImportBootstrap(Old, "default", ApiKeyRole.Operator, null);
            other = first.Create("acme", ApiKeyRole.Read, null).Secret;
        }

        using var second = Open();
        second.ImportBootstrap(Old, "default", ApiKeyRole.Operator, null);
        Assert.True(second.TryAuthenticate(Old, out _));
        second.ImportBootstrap(New, "default", ApiKeyRole.Operator, null);

        Assert.False(second.TryAuthenticate(Old, out _));
        Assert.True(second.TryAuthenticate(New, out _));
        Assert.True(second.TryAuthenticate(other, out _));
        Assert.Equal(2, second.List().Count);
    }

    [Fact]
    public void A_second_store_on_the_same_keys_file_is_refused_while_the_first_holds_it()
    {
        using var server = Open();

        var refused = Assert.Throws<IOException>(Open);

        Assert.Contains("in use by a running server", refused.Message, StringComparison.Ordinal);
        server.Dispose();
        using var afterwards = Open();
        Assert.True(afterwards.IsEmpty);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void The_keys_file_is_0600_in_a_0700_folder()
    {
        var folder = Path.Combine(_data.FullName, "fresh");
        using var keys = new ApiKeyStore(
            Options.Create(new ServerOptions()),
            Options.Create(new SemanticCacheOptions { DataDirectory = folder }),
            TimeProvider.System);
        keys.Create("acme", ApiKeyRole.Read, null);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keys.FilePath));
    }
}
