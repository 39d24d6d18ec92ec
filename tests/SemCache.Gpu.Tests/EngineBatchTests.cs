using Microsoft.Extensions.DependencyInjection;
using SemCache.Vectors;

namespace SemCache.Gpu.Tests;

public sealed class EngineBatchTests
{
    private const int Dims = 24;

    private static readonly CacheScope Scope = new() { Model = "gpt-test" };

    [Fact]
    public async Task Batch_lookups_scored_by_the_ilgpu_cpu_accelerator_equal_single_lookups_and_stats_name_it()
    {
        using var gpu = (IGpuBatchScorer)GpuBatchScorers.Open(new GpuScorerOptions { Accelerator = GpuAcceleratorKind.IlgpuCpu, MinRows = 0 });
        await using var cache = SemanticCacheEngine.Open(
            new SemanticCacheOptions { Durability = CacheDurability.InMemory, Dimensions = Dims, RequestsBringVectors = true, SimilarityThreshold = 0.8f },
            batchScorer: gpu);
        var stored = TestVectors.Clustered(300, Dims, seed: 21, clusters: 12);
        for (var i = 0; i < 300; i++)
        {
            await cache.StoreAsync(new CacheStoreRequest { Tenant = "acme", Scope = Scope, Prompt = $"question {i}", Response = $"answer {i % 25}", Vector = stored.AsMemory(i * Dims, Dims) });
        }

        // Half near copies of stored vectors (hits, or ambiguity between answers), half fresh (misses).
        var asked = TestVectors.Clustered(120, Dims, seed: 22, clusters: 12);
        var random = new Random(23);
        for (var i = 0; i < 120; i += 2)
        {
            var source = random.Next(300);
            for (var d = 0; d < Dims; d++) { asked[(i * Dims) + d] = stored[(source * Dims) + d] + (0.05f * (float)(random.NextDouble() - 0.5)); }
        }

        var lookups = Enumerable.Range(0, 120)
            .Select(i => new CacheLookupRequest { Tenant = "acme", Scope = Scope, Vector = asked.AsMemory(i * Dims, Dims) })
            .ToList();

        var single = new List<CacheLookupResult>();
        foreach (var l in lookups) { single.Add(await cache.LookupAsync(l)); }
        var batch = await cache.LookupBatchAsync(lookups);

        for (var i = 0; i < single.Count; i++)
        {
            Assert.Equal((single[i].Kind, single[i].EntryId, single[i].Similarity), (batch[i].Kind, batch[i].EntryId, batch[i].Similarity));
            Assert.Equal(single[i].Reasons, batch[i].Reasons);
        }

        Assert.Contains(batch, r => r.IsHit);
        Assert.Contains(batch, r => !r.IsHit);
        Assert.True(gpu.GetStats().DeviceCalls > 0);
        var stats = await cache.GetStatsAsync(null);
        Assert.Equal("ilgpu-cpu", stats.BatchAccelerator);
        Assert.True(stats.BatchDeviceBytes > 0);
    }

    [Fact]
    public void Without_cuda_the_registration_gives_the_engine_cpu_scorer_and_a_cuda_demand_fails_clearly()
    {
        var services = new ServiceCollection().AddSemanticCacheGpu().BuildServiceProvider();
        var scorer = services.GetRequiredService<IBatchSimilarityScorer>();
        if (GpuBatchScorers.HasCuda(out _))
        {
            Assert.StartsWith("ilgpu-cuda:", scorer.Accelerator, StringComparison.Ordinal);
            return;
        }

        Assert.Same(BatchSimilarityScorers.Cpu, scorer);
        var e = Assert.Throws<InvalidOperationException>(() => GpuBatchScorers.Open(new GpuScorerOptions { Accelerator = GpuAcceleratorKind.Cuda }));
        Assert.Contains("CUDA", e.Message, StringComparison.Ordinal);
    }
}
