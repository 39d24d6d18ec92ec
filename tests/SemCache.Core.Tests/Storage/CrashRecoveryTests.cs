using System.Diagnostics;
using System.Reflection;
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
    // A hang detector for the child process, not a speed assertion.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(120);

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
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HostPath());
        start.ArgumentList.Add(directory);
        start.ArgumentList.Add("4");

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var puts = new List<long>();
        var deletes = new List<long>();
        long recoveredMax = -1;
        using var timeout = new CancellationTokenSource(HangLimit);
        try
        {
            while (puts.Count + deletes.Count < acknowledgements)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException("The crash host exited early: " + await errors);
                var id = long.Parse(line.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture);
                switch (line[0])
                {
                    case 'R':
                        recoveredMax = id;
                        break;
                    case 'P':
                        puts.Add(id);
                        break;
                    case 'D':
                        deletes.Add(id);
                        break;
                }
            }
        }
        finally
        {
            // SIGKILL on Linux: no finalizers, no flush, no dispose.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        // Lines already written before the kill are acknowledged too.
        while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { Length: > 2 } line)
        {
            var id = long.Parse(line.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture);
            (line[0] == 'P' ? puts : line[0] == 'D' ? deletes : []).Add(id);
        }

        Assert.True(recoveredMax >= 0, "the host never reported its recovered max id");
        return (puts, deletes, recoveredMax);
    }

    private static string HostPath()
    {
        var path = typeof(CrashRecoveryTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "CrashHostPath").Value!;
        Assert.True(File.Exists(path), $"crash host not built at {path}");
        return path;
    }
}
