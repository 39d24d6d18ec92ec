using SemCache.Tests.Storage;

namespace SemCache.Tests.Engine;

public sealed class RecoveryTests
{
    private const int Dims = 48;
    private static readonly CacheScope Scope = new() { Model = "recovery-model" };

    private static SemanticCacheOptions Options(string directory) => new()
    {
        DataDirectory = directory,
        Durability = CacheDurability.Fast,
        Dimensions = Dims,
        RequestsBringVectors = true,
        SimilarityThreshold = 0f,
        MaxCandidates = 10,
        FlatSearchLimit = 300,
    };

    private static float[] RandomVector(Random rng)
    {
        var v = new float[Dims];
        for (var i = 0; i < v.Length; i++) { v[i] = (float)(rng.NextDouble() - 0.5); }
        return v;
    }

    private static async Task<List<(long, string?)>> AnswersAsync(ISemanticCache cache, float[][] queries)
    {
        var answers = new List<(long, string?)>();
        foreach (var q in queries)
        {
            var r = await cache.LookupAsync(new CacheLookupRequest { Tenant = "t", Scope = Scope, Vector = q });
            answers.Add((r.EntryId, r.Response));
        }

        return answers;
    }

    [Fact]
    public async Task After_a_restart_the_index_answers_exactly_as_before_including_changes_made_after_the_last_snapshot()
    {
        using var directory = new TempDirectory();
        var rng = new Random(7);
        var queries = Enumerable.Range(0, 200).Select(_ => RandomVector(rng)).ToArray();
        List<(long, string?)> before;
        var ids = new List<long>();
        List<(string File, byte[] Bytes)> snapshotAtCheckpoint;
        await using (var cache = SemanticCacheEngine.Open(Options(directory.Path)))
        {
            for (var i = 0; i < 2_000; i++)
            {
                var r = await cache.StoreAsync(new CacheStoreRequest { Tenant = "t", Scope = Scope, Prompt = $"p{i}", Response = $"r{i}", Vector = RandomVector(rng) });
                ids.Add(r.EntryId);
            }

            // Snapshot, then change the partition: the restart must reconcile the snapshot with the log.
            await cache.CheckpointAsync();
            snapshotAtCheckpoint = Directory.GetFiles(Path.Combine(directory.Path, "index"), "*.idx").Select(f => (f, File.ReadAllBytes(f))).ToList();
            for (var i = 0; i < 100; i++) { await cache.InvalidateAsync(CacheInvalidation.ForEntry("t", ids[i * 7])); }
            for (var i = 2_000; i < 2_300; i++)
            {
                await cache.StoreAsync(new CacheStoreRequest { Tenant = "t", Scope = Scope, Prompt = $"p{i}", Response = $"r{i}", Vector = RandomVector(rng) });
            }

            before = await AnswersAsync(cache, queries);
            Assert.Equal(2_200, (await cache.GetStatsAsync("t")).Entries);
        }

        // As after a crash: the snapshot on disk is the checkpoint's, older than the log.
        Assert.Single(snapshotAtCheckpoint);
        foreach (var (file, bytes) in snapshotAtCheckpoint) { await File.WriteAllBytesAsync(file, bytes); }

        await using (var reopened = SemanticCacheEngine.Open(Options(directory.Path)))
        {
            Assert.Equal(2_200, (await reopened.GetStatsAsync("t")).Entries);
            Assert.Equal(1, ((SemCache.Engine.SemanticCache)reopened).SnapshotsLoaded);
            var after = await AnswersAsync(reopened, queries);
            Assert.Equal(before, after);
            Assert.DoesNotContain(after, a => ids.Take(700).Where((_, i) => i % 7 == 0).Contains(a.Item1));
        }
    }
}
