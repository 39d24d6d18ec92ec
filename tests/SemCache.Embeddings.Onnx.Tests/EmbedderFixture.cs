namespace SemCache.Embeddings.Onnx.Tests;

/// <summary>One CPU embedder shared by the tests that need the real model (loading it takes a second or two).</summary>
public sealed class EmbedderFixture : IDisposable
{
    public EmbedderFixture()
    {
        Generator = OnnxEmbedder.Create(new OnnxEmbedderOptions { Provider = OnnxExecutionProvider.Cpu });
    }

    public IOnnxEmbeddingGenerator Generator { get; }

    public void Dispose() => Generator.Dispose();
}

[CollectionDefinition(Name)]
public sealed class EmbedderCollection : ICollectionFixture<EmbedderFixture>
{
    public const string Name = "Embedder";
}
