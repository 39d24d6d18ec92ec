using System.Globalization;
using SemCache.CrashHost;
using SemCache.Tests.Storage;

namespace SemCache.Tests.Engine;

/// <summary>
/// Kills a process that stores through the whole engine in Durable mode, then reopens the cache:
/// every acknowledged store must be found, intact, by exact and by semantic lookup.
/// </summary>
public sealed class EngineCrashTests
{
    [Fact]
    public async Task Every_acknowledged_store_survives_kill_9_and_is_found_by_exact_and_semantic_lookup()
    {
        using var directory = new TempDirectory();
        var acknowledged = new Dictionary<long, long>();
        const int cycles = 3;
        const int storesPerCycle = 300;
        for (var cycle = 0; cycle < cycles; cycle++)
        {
            var firstSeq = (cycle + 1) * 1_000_000L;
            var lines = await CrashHostRunner.RunAndKillAsync(
                ["engine", directory.Path, firstSeq.ToString(CultureInfo.InvariantCulture), "4"],
                l => l.Count(x => x.StartsWith('S')) >= storesPerCycle);
            foreach (var line in lines.Where(l => l.StartsWith("S ", StringComparison.Ordinal)))
            {
                var parts = line.Split(' ');
                if (parts.Length == 3) { acknowledged[long.Parse(parts[1], CultureInfo.InvariantCulture)] = long.Parse(parts[2], CultureInfo.InvariantCulture); }
            }

            Assert.True(acknowledged.Count >= (cycle + 1) * storesPerCycle);

            await using var cache = SemanticCacheEngine.Open(EngineCrash.Options(directory.Path));
            foreach (var (seq, entryId) in acknowledged)
            {
                var exact = await cache.LookupAsync(new CacheLookupRequest
                {
                    Tenant = EngineCrash.Tenant,
                    Scope = EngineCrash.Scope,
                    Prompt = EngineCrash.Prompt(seq),
                    Mode = CacheLookupMode.ExactOnly,
                });
                Assert.True(exact.Kind == CacheHitKind.Exact, $"acknowledged store {seq} (entry {entryId}) lost in cycle {cycle}");
                Assert.Equal(entryId, exact.EntryId);
                Assert.Equal(EngineCrash.Response(seq), exact.Response);
                Assert.Equal([$"seq:{seq}"], exact.Tags);

                var semantic = await cache.LookupAsync(new CacheLookupRequest
                {
                    Tenant = EngineCrash.Tenant,
                    Scope = EngineCrash.Scope,
                    Vector = EngineCrash.Vector(seq),
                });
                Assert.True(semantic.Kind == CacheHitKind.Semantic, $"acknowledged store {seq} not found by vector in cycle {cycle}");
                Assert.Equal(entryId, semantic.EntryId);
                Assert.Equal(EngineCrash.Response(seq), semantic.Response);
            }

            // Stores that were written but not yet acknowledged may be there or not, but whole:
            // every entry the cache holds answers with the response of its own prompt.
            var stats = await cache.GetStatsAsync(EngineCrash.Tenant);
            Assert.InRange(stats.Entries, acknowledged.Count, acknowledged.Count + 64);
            for (var seq = firstSeq; seq < firstSeq + storesPerCycle + 64; seq++)
            {
                var probe = await cache.LookupAsync(new CacheLookupRequest { Tenant = EngineCrash.Tenant, Scope = EngineCrash.Scope, Prompt = EngineCrash.Prompt(seq), Mode = CacheLookupMode.ExactOnly });
                if (probe.IsHit) { Assert.Equal(EngineCrash.Response(seq), probe.Response); }
            }
        }
    }
}
