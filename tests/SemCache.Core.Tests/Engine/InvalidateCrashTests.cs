using System.Globalization;
using SemCache.CrashHost;
using SemCache.Tests.Storage;
using Xunit.Abstractions;

namespace SemCache.Tests.Engine;

/// <summary>
/// Kills a process (SIGKILL) while it invalidates a large tag in Durable mode. The invalidation is
/// one write-ahead log commit: after a restart either every tagged entry is gone, or the call was not
/// acknowledged and the entries are all there or all gone (never some), and a retry removes them all.
/// An acknowledged invalidation never comes back.
/// </summary>
public sealed class InvalidateCrashTests(ITestOutputHelper output)
{
    // Large enough that the invalidation takes a while (thousands of deletes in one batch), small
    // enough for a test that stores them through the whole Durable engine path.
    private const int Entries = 2_000;

    [Fact]
    public async Task A_kill_9_during_a_large_ForTag_invalidation_leaves_all_or_nothing_and_a_retry_removes_all()
    {
        using var directory = new TempDirectory();

        // The host is killed as soon as it announces the invalidation; it waits a different time
        // before starting it in each round, so the kill lands before, during or after the write
        // depending on this machine's speed. Every outcome must keep the invariant below.
        foreach (var delayMs in new[] { 0, 80 })
        {
            var lines = await CrashHostRunner.RunAndKillAsync(
                ["invalidate", directory.Path, Entries.ToString(CultureInfo.InvariantCulture), delayMs.ToString(CultureInfo.InvariantCulture)],
                l => l.Contains("B"));
            Assert.Contains($"S {Entries}", lines);
            var acknowledged = lines.Any(l => l.StartsWith("I ", StringComparison.Ordinal));

            await using (var cache = SemanticCacheEngine.Open(EngineCrash.Options(directory.Path)))
            {
                var present = await CountPresentAsync(cache);
                output.WriteLine($"delay {delayMs} ms: killed {(acknowledged ? "after" : "before")} the acknowledgement; {present} of {Entries} tagged entries present after restart");
                if (acknowledged)
                {
                    Assert.Equal(0, present);
                }
                else
                {
                    Assert.True(present is 0 or Entries, $"a torn invalidation: {present} of {Entries} tagged entries survived");
                }

                var removed = await cache.InvalidateAsync(CacheInvalidation.ForTag(EngineCrash.Tenant, EngineCrash.BulkTag));
                Assert.Equal(present, removed);
                Assert.Equal(0, await CountPresentAsync(cache));
            }

            await using (var reopened = SemanticCacheEngine.Open(EngineCrash.Options(directory.Path)))
            {
                Assert.Equal(0, await CountPresentAsync(reopened));
            }
        }
    }

    [Fact]
    public async Task An_acknowledged_ForTag_invalidation_never_resurfaces_after_kill_9()
    {
        using var directory = new TempDirectory();
        var lines = await CrashHostRunner.RunAndKillAsync(
            ["invalidate", directory.Path, "500", "0"],
            l => l.Exists(x => x.StartsWith("I ", StringComparison.Ordinal)));
        Assert.Contains("I 500", lines);

        await using var cache = SemanticCacheEngine.Open(EngineCrash.Options(directory.Path));
        Assert.Equal(0, await CountPresentAsync(cache, 500));
        Assert.Equal(0, (await cache.GetStatsAsync(EngineCrash.Tenant)).Entries);
    }

    private static async Task<int> CountPresentAsync(IEmbeddedSemanticCache cache, int entries = Entries)
    {
        var present = 0;
        for (var seq = 1L; seq <= entries; seq++)
        {
            var hit = await cache.LookupAsync(new CacheLookupRequest
            {
                Tenant = EngineCrash.Tenant,
                Scope = EngineCrash.Scope,
                Prompt = EngineCrash.Prompt(seq),
                Mode = CacheLookupMode.ExactOnly,
            });
            if (hit.IsHit) { present++; }
        }

        return present;
    }
}
