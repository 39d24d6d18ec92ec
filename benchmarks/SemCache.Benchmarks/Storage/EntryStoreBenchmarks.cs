using BenchmarkDotNet.Attributes;
using SemCache.Storage;

namespace SemCache.Benchmarks.Storage;

/// <summary>
/// Put and get latency of the entry store per durability mode, side by side. Durable puts wait for the
/// write-ahead log commit; the concurrent variant shows how group commit shares one commit among writers.
/// Run: dotnet run -c Release --project benchmarks/SemCache.Benchmarks -- --filter '*EntryStoreBenchmarks*'
/// </summary>
[BenchmarkCategory("Storage")]
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
public class EntryStoreBenchmarks
{
    private const int Preloaded = 100_000;
    private const int ConcurrentWriters = 16;
    private const int Dimensions = 32;

    private string _directory = string.Empty;
    private FasterEntryStore _store = null!;
    private readonly Random _random = new(42);
    private byte[][] _exactKeys = [];
    private long _nextId;
    private int _readCursor;

    [Params(CacheDurability.InMemory, CacheDurability.Fast, CacheDurability.Durable)]
    public CacheDurability Durability { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("semcache-bench-store-").FullName;
        _store = FasterEntryStore.Open(new EntryStoreOptions { DataDirectory = _directory, Durability = Durability });
        // Preloaded by many writers at once, so Durable mode's setup rides on group commit.
        var random = new Random(7);
        var entries = Enumerable.Range(1, Preloaded).Select(id => StorageBenchmarkData.Entry(id, Dimensions, random)).ToArray();
        _exactKeys = entries.Select(e => e.ExactKey).ToArray();
        Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = 64 }, (entry, ct) => _store.PutAsync(entry, ct))
            .GetAwaiter().GetResult();
        _nextId = Preloaded;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Description = "Put (1 writer)")]
    public ValueTask Put() =>
        _store.PutAsync(StorageBenchmarkData.Entry(++_nextId, Dimensions, _random), CancellationToken.None);

    [Benchmark(Description = "Put (16 concurrent writers, per put)", OperationsPerInvoke = ConcurrentWriters)]
    public Task PutConcurrent()
    {
        var tasks = new Task[ConcurrentWriters];
        for (var i = 0; i < tasks.Length; i++)
        {
            var entry = StorageBenchmarkData.Entry(++_nextId, Dimensions, _random);
            tasks[i] = Task.Run(() => _store.PutAsync(entry, CancellationToken.None).AsTask());
        }

        return Task.WhenAll(tasks);
    }

    [Benchmark(Description = "TryGet by id")]
    public bool TryGet()
    {
        _readCursor = (_readCursor + 7919) % Preloaded;
        return _store.TryGet(_readCursor + 1, out _);
    }

    [Benchmark(Description = "TryGetExact")]
    public bool TryGetExact()
    {
        _readCursor = (_readCursor + 7919) % Preloaded;
        return _store.TryGetExact(_exactKeys[_readCursor], out _);
    }
}
