using SemCache.Embeddings.Onnx;

namespace SemCache.Extensions.AI.Tests;

/// <summary>The real default embedder (MiniLM on the CPU), loaded once: semantic hits are decided as in production.</summary>
public sealed class EngineFixture : IDisposable
{
    public EngineFixture() => Embedder = OnnxEmbedder.Create(new OnnxEmbedderOptions { Provider = OnnxExecutionProvider.Cpu });

    public IOnnxEmbeddingGenerator Embedder { get; }

    /// <summary>A fresh in-memory engine over the shared embedder.</summary>
    public IEmbeddedSemanticCache OpenInMemory(Action<SemanticCacheOptions>? configure = null)
    {
        var options = new SemanticCacheOptions { Durability = CacheDurability.InMemory };
        configure?.Invoke(options);
        return SemanticCacheEngine.Open(options, Embedder);
    }

    public void Dispose() => Embedder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "Engine";
}
