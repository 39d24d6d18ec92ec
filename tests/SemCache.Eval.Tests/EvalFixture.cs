using System.Text.Json;
using SemCache.Embeddings.Onnx;

namespace SemCache.Eval.Tests;

/// <summary>One MiniLM embedder (the default) shared by the quality tests: loading it costs seconds.</summary>
public sealed class EvalFixture : IDisposable
{
    public EvalFixture()
    {
        Embedder = OnnxEmbedder.Create(new OnnxEmbedderOptions { Provider = OnnxExecutionProvider.Cpu });
    }

    public IOnnxEmbeddingGenerator Embedder { get; }

    public void Dispose() => Embedder.Dispose();

    /// <summary>Opens an empty in-memory engine with the default options and the default verifier.</summary>
    public IEmbeddedSemanticCache OpenCache(string directory) => SemanticCacheEngine.Open(
        new SemanticCacheOptions { DataDirectory = directory, Durability = CacheDurability.InMemory, Dimensions = Embedder.Dimensions },
        Embedder);

    public float[][] Embed(IReadOnlyList<string> texts)
    {
        const int Chunk = 128;
        var dims = Embedder.Dimensions;
        var vectors = new float[texts.Count][];
        var buffer = new float[Chunk * dims];
        for (var start = 0; start < texts.Count; start += Chunk)
        {
            var count = Math.Min(Chunk, texts.Count - start);
            Embedder.EmbedBatch([.. texts.Skip(start).Take(count)], buffer);
            for (var v = 0; v < count; v++)
            {
                vectors[start + v] = buffer.AsSpan(v * dims, dims).ToArray();
            }
        }

        return vectors;
    }

    /// <summary>The public evaluation data committed with the tests (tests/data, with its licence notices).</summary>
    public static List<(string A, string B, bool Duplicate)> ReadPairs(string relativePath, int limit)
    {
        var root = FindRepositoryRoot();
        var path = Path.GetFullPath(Path.Combine(root, "tests", "data", relativePath));
        Assert.True(File.Exists(path), $"the quality gates need the evaluation data at {path} (see tests/data/README.md)");
        var pairs = new List<(string, string, bool)>();
        foreach (var line in File.ReadLines(path).Take(limit))
        {
            using var document = JsonDocument.Parse(line);
            var e = document.RootElement;
            pairs.Add((e.GetProperty("a").GetString()!, e.GetProperty("b").GetString()!, e.GetProperty("duplicate").GetBoolean()));
        }

        return pairs;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SemCache.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SemCache.sln not found above " + AppContext.BaseDirectory);
    }
}

[CollectionDefinition(Name)]
public sealed class EvalCollection : ICollectionFixture<EvalFixture>
{
    public const string Name = "eval";
}
