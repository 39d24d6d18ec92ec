using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using SemCache.Storage;

namespace SemCache.Benchmarks.Storage;

/// <summary>
/// Start-up cost of a large store: open (checkpoint recovery, write-ahead log replay, the state pass) plus
/// <see cref="IEntryStore.ScanLive"/> decoding every live entry, as the engine does at start. The store
/// (1,000,000 entries with 32-dim vectors, fixed seed) is written once in the global setup.
/// Run: dotnet run -c Release --project benchmarks/SemCache.Benchmarks -- --filter '*RecoveryBenchmarks*'
/// </summary>
[BenchmarkCategory("Storage")]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class RecoveryBenchmarks
{
    private const int Dimensions = 32;
    private string _directory = string.Empty;

    [Params(1_000_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("semcache-bench-recovery-").FullName;
        var store = FasterEntryStore.Open(Options());
        var random = new Random(42);
        var writers = Enumerable.Range(0, Environment.ProcessorCount).Select(w => Task.Run(async () =>
        {
            for (long id = 1 + w; id <= Entries; id += Environment.ProcessorCount)
            {
                CacheEntryRecord entry;
                lock (random)
                    entry = StorageBenchmarkData.Entry(id, Dimensions, random);
                await store.PutAsync(entry, CancellationToken.None);
            }
        })).ToArray();
        Task.WaitAll(writers);
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Description = "Open + ScanLive")]
    public long OpenAndScan()
    {
        var store = FasterEntryStore.Open(Options());
        long count = 0;
        foreach (var entry in store.ScanLive())
            count += entry.Vector!.Length > 0 ? 1 : 0;
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (count != Entries)
            throw new InvalidOperationException($"recovered {count} of {Entries} entries");
        return count;
    }

    private EntryStoreOptions Options() => new()
    {
        DataDirectory = _directory,
        Durability = CacheDurability.Fast,
    };
}
