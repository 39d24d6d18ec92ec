using System.Collections.Concurrent;
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

/// <summary>A store that keeps records in memory, for engine tests that are not about storage.</summary>
internal sealed class MemoryEntryStore : IEntryStore
{
    private readonly ConcurrentDictionary<long, CacheEntryRecord> _entries = new();
    private readonly ConcurrentDictionary<string, long> _exact = new();

    public long MaxEntryId => _entries.IsEmpty ? 0 : _entries.Keys.Max();

    public int Deletes;

    public ValueTask PutAsync(CacheEntryRecord entry, CancellationToken cancellationToken)
    {
        _entries[entry.Id] = entry;
        _exact[Convert.ToHexString(entry.ExactKey)] = entry.Id;
        return ValueTask.CompletedTask;
    }

    public bool TryGet(long entryId, out CacheEntryRecord? entry) => _entries.TryGetValue(entryId, out entry);

    public bool TryGetExact(ReadOnlySpan<byte> exactKey, out long entryId) => _exact.TryGetValue(Convert.ToHexString(exactKey), out entryId);

    public ValueTask<bool> DeleteAsync(long entryId, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Deletes);
        if (!_entries.TryRemove(entryId, out var e)) { return ValueTask.FromResult(false); }
        var k = Convert.ToHexString(e.ExactKey);
        if (_exact.TryGetValue(k, out var id) && id == entryId) { _exact.TryRemove(k, out _); }
        return ValueTask.FromResult(true);
    }

    public IEnumerable<CacheEntryRecord> ScanLive() => _entries.Values.ToArray();

    public ValueTask CheckpointAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
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

    public static SemanticCache Create(
        Action<SemanticCacheOptions>? configure = null,
        IEntryStore? store = null,
        BagOfWordsEmbedder? embedder = null,
        FakeTimeProvider? time = null) =>
        new(Options(configure), store ?? new MemoryEntryStore(), embedder ?? new BagOfWordsEmbedder(Dims), timeProvider: time);

    public static CacheStoreRequest Store(string tenant, string prompt, string response, CacheScope? scope = null) =>
        new() { Tenant = tenant, Scope = scope ?? Scope, Prompt = prompt, Response = response };

    public static CacheLookupRequest Lookup(string tenant, string prompt, CacheScope? scope = null) =>
        new() { Tenant = tenant, Scope = scope ?? Scope, Prompt = prompt };
}
