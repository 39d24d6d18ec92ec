using System.Text.Json;
using BenchmarkDotNet.Attributes;
using SemCache.Embeddings.Onnx;
using SemCache.Embeddings.Onnx.Tokenization;

namespace SemCache.Benchmarks.Embeddings;

/// <summary>The sentences every embedder benchmark uses: the first PAWS dev "a" sentences, read in place.</summary>
internal static class EmbedderData
{
    public static List<string> Sentences(int count)
    {
        var root = AppContext.BaseDirectory;
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SemCache.sln")))
            {
                root = dir.FullName;
                break;
            }
        }

        var path = Path.GetFullPath(Path.Combine(root, "..", "shared", "data", "paws-dev", "pairs.jsonl"));
        if (!File.Exists(path))
        {
            throw new FileNotFoundException("Run the embedder benchmarks from the repository (they read ../shared/data/paws-dev/pairs.jsonl).", path);
        }

        var sentences = new List<string>(count);
        foreach (var line in File.ReadLines(path))
        {
            using var document = JsonDocument.Parse(line);
            sentences.Add(document.RootElement.GetProperty("a").GetString()!);
            if (sentences.Count == count)
            {
                break;
            }
        }

        return sentences;
    }
}

/// <summary>WordPiece tokenisation of 64 real sentences into 256-token windows.</summary>
[BenchmarkCategory("Embedder", "Tokenizer")]
[MemoryDiagnoser]
public class EmbedderTokenizerBenchmarks
{
    private List<string> _sentences = [];
    private WordPieceTokenizer _tokenizer = null!;
    private int[] _ids = [];

    [Params(TokenizerCompatibility.ReferenceEncoder, TokenizerCompatibility.HuggingFace)]
    public TokenizerCompatibility Compatibility { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sentences = EmbedderData.Sentences(64);
        _tokenizer = new WordPieceTokenizer(ModelAssets.Load(null).Vocabulary, lowerCase: true, Compatibility, 256);
        _ids = new int[256];
    }

    [Benchmark(OperationsPerInvoke = 64)]
    public int Tokenize64()
    {
        var total = 0;
        foreach (var sentence in _sentences)
        {
            total += _tokenizer.Encode(sentence, _ids).Count;
        }

        return total;
    }
}

/// <summary>Mean pooling and L2 normalisation of a [64, 48, 384] model output (fixed-seed values).</summary>
[BenchmarkCategory("Embedder", "Pooling")]
public class EmbedderPoolingBenchmarks
{
    private const int Rows = 64;
    private const int Tokens = 48;
    private const int Dims = 384;
    private float[] _output = [];
    private float[] _vectors = [];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _output = new float[Rows * Tokens * Dims];
        for (var i = 0; i < _output.Length; i++)
        {
            _output[i] = (float)((random.NextDouble() * 2) - 1);
        }

        _vectors = new float[Rows * Dims];
    }

    [Benchmark(OperationsPerInvoke = Rows)]
    public void MeanPoolAndNormalize64()
    {
        for (var r = 0; r < Rows; r++)
        {
            var vector = _vectors.AsSpan(r * Dims, Dims);
            Pooling.Pool(EmbeddingPooling.Mean, _output.AsSpan(r * Tokens * Dims, Tokens * Dims), Tokens - (r % 7), vector);
            Pooling.Normalize(vector);
        }
    }
}

/// <summary>
/// The whole CPU path (tokenise, ONNX Runtime forward pass, pool, normalise) per sentence at batch
/// sizes 1, 8 and 64, called directly (no micro-batcher): how much batching buys on this machine.
/// </summary>
[BenchmarkCategory("Embedder", "Batch")]
public class EmbedderBatchBenchmarks
{
    private List<string> _sentences = [];
    private IOnnxEmbeddingGenerator _generator = null!;
    private float[] _destination = [];
    private int _next;

    [Params(1, 8, 64)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sentences = EmbedderData.Sentences(512);
        _generator = OnnxEmbedder.Create(new OnnxEmbedderOptions { Provider = OnnxExecutionProvider.Cpu });
        _destination = new float[64 * _generator.Dimensions];
    }

    [GlobalCleanup]
    public void Cleanup() => _generator.Dispose();

    [Benchmark]
    public int EmbedBatch()
    {
        // Walk through the sentences so every invocation sees different lengths, like real traffic.
        var start = _next;
        _next = (_next + BatchSize) % (_sentences.Count - 64);
        return _generator.EmbedBatch(_sentences.GetRange(start, BatchSize), _destination);
    }
}
