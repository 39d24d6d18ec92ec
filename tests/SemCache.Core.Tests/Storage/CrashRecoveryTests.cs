using SemCache.CrashHost;
using SemCache.Storage;
using static SemCache.Tests.Storage.StorageTestSupport;

namespace SemCache.Tests.Storage;

/// <summary>
/// Kills a writing process with SIGKILL and checks that every acknowledged write survived: the
/// Durable-mode promise ("nothing acknowledged is lost").
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task Every_acknowledged_write_survives_repeated_kill_9_of_a_Durable_writer()
    {
        using var directory = new TempDirectory();
        var acknowledgedPuts = new HashSet<long>();
        var acknowledgedDeletes = new HashSet<long>();

        // Several cycles: the later ones crash a store that itself recovered from a crash.
        const int cycles = 3;
        const int acknowledgementsPerCycle = 2000;
        for (var cycle = 0; cycle < cycles; cycle++)
        {
            var (puts, deletes, recoveredMax) = await RunAndKillAsync(directory.Path, acknowledgementsPerCycle);
            Assert.True(recoveredMax >= acknowledgedPuts.DefaultIfEmpty().Max(), "the host reused entry ids");
            acknowledgedPuts.UnionWith(puts);
            acknowledgedDeletes.UnionWith(deletes);
            Assert.True(puts.Count >= acknowledgementsPerCycle / 2);

            await using var store = FasterEntryStore.Open(Options(directory.Path, CacheDurability.Durable));
            foreach (var id in acknowledgedPuts)
            {
                if (acknowledgedDeletes.Contains(id))
                {
                    Assert.False(store.TryGet(id, out _), $"entry {id} was deleted (acknowledged) but came back");
                }
                else if (!CrashEntries.IsDeletedAfterPut(id))
                {
                    // Ids the host deletes without an acknowledgement yet may legitimately be either way.
                    Assert.True(store.TryGet(id, out var read), $"acknowledged entry {id} lost in cycle {cycle}");
                    AssertSame(CrashEntries.Create(id), read);
                }
            }

            Assert.True(store.MaxEntryId >= acknowledgedPuts.Max());
            var scanned = store.ScanLive().Select(e => e.Id).ToHashSet();
            Assert.Superset(acknowledgedPuts.Where(id => !CrashEntries.IsDeletedAfterPut(id)).ToHashSet(), scanned);
            Assert.Equal(0, store.CorruptRecordCount);
        }
    }

    private static async Task<(List<long> Puts, List<long> Deletes, long RecoveredMax)> RunAndKillAsync(string directory, int acknowledgements)
    {
        var lines = await CrashHostRunner.RunAndKillAsync([directory, "4"], l => l.Count(x => x[0] is 'P' or 'D') >= acknowledgements);
        var puts = new List<long>();
        var deletes = new List<long>();
        long recoveredMax = -1;
        foreach (var line in lines.Where(l => l.Length > 2))
        {
            var id = long.Parse(line.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture);
            switch (line[0])
            {
                case 'R': recoveredMax = id; break;
                case 'P': puts.Add(id); break;
                case 'D': deletes.Add(id); break;
                default: break;
            }
        }

        Assert.True(recoveredMax >= 0, "the host never reported its recovered max id");
        return (puts, deletes, recoveredMax);
    }
}
