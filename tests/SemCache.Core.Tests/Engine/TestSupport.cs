using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;
using SemCache.Engine;
using SemCache.Storage;

namespace SemCache.Tests.Engine;

/// <summary>
/// A deterministic embedder for engine tests: a hashed bag of lower-cased words, so prompts with
/// the same words are near-identical and prompts with different words are far apart.
/// </summary>
internal sealed class BagOfWordsEmbedder(int dimensions = 64) : IEmbeddingGenerator<string, Embedding<float>>
{
    public int Calls;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref Calls);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var text in values) { result.Add(new Embedding<float>(Embed(text, dimensions))); }
        return Task.FromResult(result);
    }

    public static float[] Embed(string text, int dimensions)
    {
        var v = new float[dimensions];
        foreach (var word in text.ToLowerInvariant().Split([' ', '?', '.', ',', '!'], StringSplitOptions.RemoveEmptyEntries))
        {
            var h = (uint)StringComparer.Ordinal.GetHashCode(word) % (uint)dimensions;
            v[h] += 1;
        }

        if (v.All(x => x == 0)) { v[0] = 1; }
        return v;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}

internal static class TestCache
{
    public const int Dims = 64;

    public static readonly CacheScope Scope = new() { Model = "gpt-test", SystemPrompt = "You are helpful." };

    public static SemanticCacheOptions Options(Action<SemanticCacheOptions>? configure = null)
    {
        var o = new SemanticCacheOptions
        {
            Durability = CacheDurability.InMemory,
            Dimensions = Dims,
            SimilarityThreshold = 0.9f,
            HnswEfSearch = 16,
        };
        configure?.Invoke(o);
        return o;
    }

    /// <summary>The real FASTER store, in memory and small: engine tests are not about storage.</summary>
    public static IEntryStore SmallStore() => EntryStoreFactory.Open(new EntryStoreOptions
    {
        Durability = CacheDurability.InMemory,
        IndexBuckets = 1 << 12,
        LogMemorySizeBits = 24,
    });

    public static SemanticCache Create(
        Action<SemanticCacheOptions>? configure = null,
        IEntryStore? store = null,
        BagOfWordsEmbedder? embedder = null,
        FakeTimeProvider? time = null) =>
        new(Options(configure), store ?? SmallStore(), embedder ?? new BagOfWordsEmbedder(Dims), timeProvider: time);

    public static CacheStoreRequest Store(string tenant, string prompt, string response, CacheScope? scope = null) =>
        new() { Tenant = tenant, Scope = scope ?? Scope, Prompt = prompt, Response = response };

    public static CacheLookupRequest Lookup(string tenant, string prompt, CacheScope? scope = null) =>
        new() { Tenant = tenant, Scope = scope ?? Scope, Prompt = prompt };
}
