using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using SemCache.Verification;

namespace SemCache.Benchmarks.Verification;

/// <summary>
/// Cost of the verifier next to the ANN step of a semantic lookup. The engine verifies up to
/// <c>MaxCandidates</c> (4) candidates on cached analyses plus one query analysis per lookup; the
/// baseline is an exact scan of a 2,048-entry, 384-dimension partition (the flat search the engine
/// uses below its HNSW limit), which costs about what an HNSW search does at that size.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Verification")]
public class VerifierBenchmarks
{
    private const int Dimensions = 384;
    private const int PartitionSize = 2048;

    private static readonly (string Query, string Candidate)[] Pairs =
    [
        ("How do I sort a list of dictionaries by a key in Python?", "What's the way to sort a Python list of dicts by one key?"),
        ("Cheapest flights from New York to Florida in June", "Cheapest flights from Florida to New York in June"),
        ("What does the error \"file not found\" mean in Docker 24.0?", "Explain the Docker 24.0 error \"file not found\""),
        ("Why doesn't getElementById return my element?", "Why is getElementById not returning the element?"),
    ];

    private readonly PromptVerifier _verifier = new(new VerifierOptions());
    private PromptAnalysis[] _queries = [];
    private PromptAnalysis[] _candidates = [];
    private float[] _vectors = [];
    private float[] _query = [];

    [GlobalSetup]
    public void Setup()
    {
        _queries = [.. Pairs.Select(p => PromptAnalysis.Analyze(p.Query))];
        _candidates = [.. Pairs.Select(p => PromptAnalysis.Analyze(p.Candidate))];
        var random = new Random(42);
        _vectors = new float[PartitionSize * Dimensions];
        for (var i = 0; i < _vectors.Length; i++)
        {
            _vectors[i] = (float)(random.NextDouble() - 0.5);
        }

        for (var v = 0; v < PartitionSize; v++)
        {
            var row = _vectors.AsSpan(v * Dimensions, Dimensions);
            TensorPrimitives.Divide(row, TensorPrimitives.Norm(row), row);
        }

        _query = _vectors.AsSpan(17 * Dimensions, Dimensions).ToArray();
    }

    /// <summary>Baseline: exact top-1 over one partition, the search a lookup performs before verifying.</summary>
    [Benchmark(Baseline = true)]
    public int FlatSearch2048()
    {
        var best = -1;
        var bestScore = float.MinValue;
        for (var v = 0; v < PartitionSize; v++)
        {
            var score = TensorPrimitives.Dot(_query, _vectors.AsSpan(v * Dimensions, Dimensions));
            if (score > bestScore)
            {
                bestScore = score;
                best = v;
            }
        }

        return best;
    }

    /// <summary>Verifying four candidates on cached analyses (the most a lookup verifies by default).</summary>
    [Benchmark]
    public int VerifyFourCandidates()
    {
        var accepted = 0;
        for (var i = 0; i < _queries.Length; i++)
        {
            accepted += _verifier.Verify(_queries[i], _candidates[i], 0.9f).Accepted ? 1 : 0;
        }

        return accepted;
    }

    /// <summary>One verification of a paraphrase that passes every rule.</summary>
    [Benchmark]
    public bool VerifyParaphrase() => _verifier.Verify(_queries[0], _candidates[0], 0.9f).Accepted;

    /// <summary>One verification of a swapped-arguments pair that the order rule vetoes.</summary>
    [Benchmark]
    public bool VerifySwap() => _verifier.Verify(_queries[1], _candidates[1], 0.9f).Accepted;

    /// <summary>Analysing one query (done once per lookup; stored entries are analysed at store time).</summary>
    [Benchmark]
    public object AnalyzeQuery() => PromptAnalysis.Analyze(Pairs[0].Query);
}
