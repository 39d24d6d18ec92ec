using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace SemCache.Benchmarks.Engine;

/// <summary>
/// Opening (recovering) the engine over 1,000,000 small entries with 32-dimensional vectors in 100
/// partitions of 10,000 (each an HNSW graph): with the index snapshots written at the last
/// checkpoint, and without them (every graph rebuilt from the log). The setup also checks that the
/// recovered index answers 1,000 queries exactly as before the restart, and fails otherwise.
/// Run: dotnet run -c Release --project benchmarks/SemCache.Benchmarks -- --filter '*EngineRecovery*'
/// </summary>
[SimpleJob(RunStrategy.ColdStart, launchCount: 1, warmupCount: 0, iterationCount: 3)]
[BenchmarkCategory("Engine", "Recovery")]
public class EngineRecoveryBenchmarks
{
    private const int Dimensions = 32;
    private const int Partitions = 100;

    [Params(1_000_000)]
    public int Entries { get; set; }

    private string _withSnapshots = null!;
    private string _withoutSnapshots = null!;

    private SemanticCacheOptions Options(string directory) => new()
    {
        DataDirectory = directory,
        Durability = CacheDurability.Fast,
        Dimensions = Dimensions,
        RequestsBringVectors = true,
        SimilarityThreshold = 0f,
        CheckpointInterval = TimeSpan.FromHours(1),
    };

    [GlobalSetup]
    public async Task Setup()
    {
        var root = Directory.CreateTempSubdirectory("semcache-engine-recovery-").FullName;
        _withSnapshots = Path.Combine(root, "with");
        _withoutSnapshots = Path.Combine(root, "without");
        var rng = new Random(42);
        var queries = Enumerable.Range(0, 1_000).Select(_ => (Partition: rng.Next(Partitions), Vector: RandomVector(rng))).ToArray();
        List<long> before;
        await using (var cache = SemanticCacheEngine.Open(Options(_withSnapshots)))
        {
            for (var i = 0; i < Entries; i++)
            {
                await cache.StoreAsync(new CacheStoreRequest
                {
                    Tenant = "bench",
                    Scope = ScopeOf(i % Partitions),
                    Prompt = $"question {i}",
                    Response = $"answer {i}",
                    Vector = RandomVector(rng),
                });
            }

            await cache.CheckpointAsync();
            before = await AnswersAsync(cache, queries);
        }

        CopyDirectory(_withSnapshots, _withoutSnapshots);
        Directory.Delete(Path.Combine(_withoutSnapshots, "index"), recursive: true);

        await using var reopened = SemanticCacheEngine.Open(Options(_withSnapshots));
        var after = await AnswersAsync(reopened, queries);
        if (!before.SequenceEqual(after))
        {
            throw new InvalidOperationException("The recovered index does not answer as it did before the restart.");
        }

        Console.Error.WriteLine($"// recovered index answers {queries.Length} queries identically to the index before the restart");
    }

    [Benchmark(Baseline = true)]
    public void OpenWithSnapshots()
    {
        using var cache = SemanticCacheEngine.Open(Options(_withSnapshots));
    }

    [Benchmark]
    public void OpenRebuildingIndexes()
    {
        using var cache = SemanticCacheEngine.Open(Options(_withoutSnapshots));
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(Path.GetDirectoryName(_withSnapshots)!, recursive: true);

    private static CacheScope ScopeOf(int partition) => new() { Model = "bench", Extra = new Dictionary<string, string> { ["p"] = partition.ToString(System.Globalization.CultureInfo.InvariantCulture) } };

    private static async Task<List<long>> AnswersAsync(ISemanticCache cache, (int Partition, float[] Vector)[] queries)
    {
        var ids = new List<long>(queries.Length);
        foreach (var (partition, vector) in queries)
        {
            ids.Add((await cache.LookupAsync(new CacheLookupRequest { Tenant = "bench", Scope = ScopeOf(partition), Vector = vector })).EntryId);
        }

        return ids;
    }

    private static float[] RandomVector(Random rng)
    {
        var v = new float[Dimensions];
        for (var i = 0; i < v.Length; i++) { v[i] = (float)(rng.NextDouble() - 0.5); }
        return v;
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) { Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal)); }
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) { File.Copy(file, file.Replace(from, to, StringComparison.Ordinal)); }
    }
}
