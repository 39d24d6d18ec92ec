using System.Diagnostics.Metrics;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SemCache.Server.Auth;
using SemCache.Server.Hosting;

namespace SemCache.Server.Tests;

/// <summary>The server's per-call shortcuts: the verified-key cache stays bounded and honours revocation; metrics series stay a fixed set.</summary>
public sealed class HotPathTests : IDisposable
{
    private readonly DirectoryInfo _data = Directory.CreateTempSubdirectory("semcache-hotpath-");

    public void Dispose() => _data.Delete(recursive: true);

    private ApiKeyStore Open() => new(
        Options.Create(new ServerOptions()),
        Options.Create(new SemanticCacheOptions { DataDirectory = _data.FullName }),
        TimeProvider.System);

    [Fact]
    public void The_verified_key_cache_never_holds_more_than_its_capacity_and_every_key_still_verifies()
    {
        using var keys = Open();
        keys.VerifiedCacheCapacity = 4;
        var secrets = Enumerable.Range(0, 10).Select(i => keys.Create("acme", ApiKeyRole.Read, $"key {i}").Secret).ToList();

        for (var round = 0; round < 3; round++)
        {
            foreach (var secret in secrets)
            {
                Assert.True(keys.TryAuthenticate(secret, out var identity));
                Assert.Equal("acme", identity.Tenant);
                Assert.InRange(keys.VerifiedCount, 1, 4);
            }
        }
    }

    [Fact]
    public void Keys_that_do_not_verify_never_enter_the_verified_key_cache()
    {
        using var keys = Open();
        keys.Create("acme", ApiKeyRole.Read, null);

        for (var i = 0; i < 1_000; i++)
        {
            Assert.False(keys.TryAuthenticate($"sck_made_up_{i}", out _));
        }

        Assert.Equal(0, keys.VerifiedCount);
    }

    [Fact]
    public void A_key_found_in_the_verified_cache_fails_at_once_after_it_is_revoked()
    {
        using var keys = Open();
        var (record, secret) = keys.Create("acme", ApiKeyRole.Write, null);
        var (_, other) = keys.Create("acme", ApiKeyRole.Read, null);
        Assert.True(keys.TryAuthenticate(secret, out _));
        Assert.True(keys.TryAuthenticate(other, out _));
        Assert.Equal(2, keys.VerifiedCount);

        Assert.True(keys.Revoke(record.Id));

        Assert.False(keys.TryAuthenticate(secret, out _));
        Assert.True(keys.TryAuthenticate(other, out _));
    }

    [Fact]
    public void Every_known_method_has_a_number_and_a_role_and_other_names_are_unknown()
    {
        Assert.Equal(MethodIndex.Methods.Count, MethodIndex.Methods.Distinct(StringComparer.Ordinal).Count());
        for (var i = 0; i < MethodIndex.Methods.Count; i++)
        {
            Assert.Equal(i, MethodIndex.Of(MethodIndex.Methods[i]));
            Assert.True(Enum.IsDefined(MethodIndex.RoleOf(i)));
        }

        Assert.Equal(ApiKeyRole.Read, MethodIndex.RoleOf(MethodIndex.Of("/semcache.v1.SemanticCache/Lookup")));
        Assert.Equal(ApiKeyRole.Admin, MethodIndex.RoleOf(MethodIndex.Of("/semcache.v1.KeyAdmin/CreateKey")));
        Assert.Equal(MethodIndex.Unknown, MethodIndex.Of("/semcache.v1.SemanticCache/lookup"));
    }

    [Fact]
    public void Calls_to_made_up_method_names_are_counted_under_one_unknown_series()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ServerMetrics(services.GetRequiredService<IMeterFactory>());
        var lookup = MethodIndex.Of("/semcache.v1.SemanticCache/Lookup");

        metrics.RecordCall(lookup, StatusCode.OK, TimeSpan.FromMilliseconds(1));
        metrics.RecordCall(lookup, StatusCode.OK, TimeSpan.FromMilliseconds(1));
        metrics.RecordCall(MethodIndex.Unknown, StatusCode.Unimplemented, TimeSpan.FromMilliseconds(1));
        metrics.RecordCall(MethodIndex.Unknown, StatusCode.Unimplemented, TimeSpan.FromMilliseconds(1));
        metrics.RecordLookup(CacheHitKind.Exact);

        var calls = Observe(services.GetRequiredService<IMeterFactory>(), "semcache.server.calls");
        var lookups = Observe(services.GetRequiredService<IMeterFactory>(), "semcache.server.lookups");

        Assert.Equal(2, metrics.Calls("/semcache.v1.SemanticCache/Lookup", StatusCode.OK));
        Assert.Equal(2, metrics.Calls(ServerMetrics.UnknownMethod, StatusCode.Unimplemented));
        Assert.Equal(
            [("/semcache.v1.SemanticCache/Lookup", 0, 2L), ("(unknown)", 12, 2L)],
            calls.Select(m => ((string)m.Tags["rpc.method"]!, (int)m.Tags["rpc.grpc.status_code"]!, m.Value)).OrderBy(c => c.Item2));
        Assert.Equal([("exact", 1L)], lookups.Select(m => ((string)m.Tags[SemCache.Telemetry.SemCacheTelemetry.OutcomeAttribute]!, m.Value)));
    }

    private static List<(long Value, Dictionary<string, object?> Tags)> Observe(IMeterFactory factory, string instrument)
    {
        var seen = new List<(long, Dictionary<string, object?>)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            // Only this test's meter: server hosts of other tests publish the same instruments meanwhile.
            if (ReferenceEquals(i.Meter.Scope, factory) && i.Meter.Name == ServerMetrics.MeterName && i.Name == instrument)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            seen.Add((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();
        listener.RecordObservableInstruments();
        return seen;
    }
}
