using static SemCache.Tests.Engine.TestCache;

namespace SemCache.Tests.Engine;

/// <summary>The engine with quantised partitions: hits as with float32, exact similarity, and the kernels in stats.</summary>
public sealed class VectorEncodingTests
{
    [Theory]
    [InlineData(VectorEncoding.Int8)]
    [InlineData(VectorEncoding.Binary)]
    public async Task A_quantised_hnsw_partition_serves_the_same_hit_with_the_exact_similarity_and_stats_name_its_kernels(VectorEncoding encoding)
    {
        // FlatSearchLimit 8: the 40 entries make the partition an HNSW graph, which is where the encoding applies.
        await using var cache = Create(o =>
        {
            o.VectorEncoding = encoding;
            o.FlatSearchLimit = 8;
        });
        for (var i = 0; i < 40; i++)
        {
            await cache.StoreAsync(Store("acme", $"question number {i} about topic {i * 7} and item {i * 13}", $"answer {i}"));
        }

        var prompt = "question number 17 about topic 119 and item 221";
        var result = await cache.LookupAsync(Lookup("acme", prompt + " please"));
        Assert.Equal(CacheHitKind.Semantic, result.Kind);
        Assert.Equal("answer 17", result.Response);

        // The similarity is float32's, not the codes' estimate.
        var a = BagOfWordsEmbedder.Embed(prompt, Dims);
        var b = BagOfWordsEmbedder.Embed(prompt + " please", Dims);
        var expected = a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));
        Assert.InRange(result.Similarity, expected - 1e-5, expected + 1e-5);

        var stats = await cache.GetStatsAsync("acme");
        var (kernel, partitions) = Assert.Single(stats.PartitionKernels!);
        Assert.Equal(1, partitions);
        Assert.EndsWith("/" + encoding.ToString().ToLowerInvariant(), kernel, StringComparison.Ordinal);
        Assert.StartsWith(SemCache.Vectors.VectorScorers.Default.Family + "/", kernel, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_encoding_is_refused_at_start_with_its_name()
    {
        var error = Assert.ThrowsAny<Exception>(() => Create(o => o.VectorEncoding = (VectorEncoding)7));
        Assert.Contains("VectorEncoding", error.Message, StringComparison.Ordinal);
    }
}
