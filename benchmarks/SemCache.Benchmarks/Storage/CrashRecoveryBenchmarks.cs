using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using SemCache.Storage;

namespace SemCache.Benchmarks.Storage;

/// <summary>
/// Recovery after a crash in Durable mode when no checkpoint covers the writes: open replays the whole
/// write-ahead log into the store, then <see cref="IEntryStore.ScanLive"/> decodes every entry. The crash
/// image is a copy of a running store's files (what a kill -9 leaves), restored before each iteration.
/// Run: dotnet run -c Release --project benchmarks/SemCache.Benchmarks -- --filter '*CrashRecoveryBenchmarks*'
/// </summary>
[BenchmarkCategory("Storage")]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class CrashRecoveryBenchmarks
{
    private const int Dimensions = 32;
    private string _root = string.Empty;
    private string _image = string.Empty;
    private string _working = string.Empty;

    [Params(200_000)]
    public int Entries { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _root = Directory.CreateTempSubdirectory("semcache-bench-crash-").FullName;
        _image = Path.Combine(_root, "image");
        _working = Path.Combine(_root, "working");
        var live = Path.Combine(_root, "live");
        var store = FasterEntryStore.Open(Options(live));
        var random = new Random(42);
        var entries = Enumerable.Range(1, Entries).Select(id => StorageBenchmarkData.Entry(id, Dimensions, random)).ToArray();
        Parallel.ForEachAsync(entries, new ParallelOptions { MaxDegreeOfParallelism = 64 }, (entry, ct) => store.PutAsync(entry, ct))
            .GetAwaiter().GetResult();
        CopyDirectory(live, _image);
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationSetup]
    public void RestoreImage()
    {
        if (Directory.Exists(_working))
            Directory.Delete(_working, recursive: true);
        CopyDirectory(_image, _working);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Description = "Open (replay) + ScanLive")]
    public long ReplayAndScan()
    {
        var store = FasterEntryStore.Open(Options(_working));
        var count = store.ScanLive().LongCount();
        store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (count != Entries)
            throw new InvalidOperationException($"recovered {count} of {Entries} entries");
        return count;
    }

    private static EntryStoreOptions Options(string directory) => new()
    {
        DataDirectory = directory,
        Durability = CacheDurability.Durable,
        CheckpointInterval = TimeSpan.FromDays(1),
    };

    private static void CopyDirectory(string source, string destination)
    {
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(source))
        {
            if (Path.GetFileName(file) == "LOCK")
                continue;
            using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var output = File.Create(Path.Combine(destination, Path.GetFileName(file)));
            input.CopyTo(output);
        }

        foreach (var directory in Directory.GetDirectories(source))
            CopyDirectory(directory, Path.Combine(destination, Path.GetFileName(directory)));
    }
}
