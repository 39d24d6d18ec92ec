using BenchmarkDotNet.Attributes;

namespace SemCache.Benchmarks.Engine;

/// <summary>
/// End-to-end engine lookups with precomputed vectors (no embedding): exact hits, semantic hits
/// (with the verifier, since the prompt is given), vector-only semantic hits and misses, over one
/// 10,000-entry partition (HNSW) of 384-dimensional vectors. In-memory durability, so the figures
/// are the engine's own cost. <see cref="GraphSearchOnly"/> is what the graph alone costs for the same
/// queries (the search <c>semcache eval-index</c> times, at the engine's ef and candidate count), so the
/// semantic lookups' ratio to it is the verification and bookkeeping around the search.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Engine")]
public class LookupBenchmarks
{
    private const int Dimensions = 384;
    private const int Entries = 10_000;
    private static readonly CacheScope Scope = new() { Model = "bench-model", SystemPrompt = "You are a benchmark." };

    private IEmbeddedSemanticCache _cache = null!;
    private CacheLookupRequest[] _exact = null!;
    private CacheLookupRequest[] _exactFreshScope = null!;
    private CacheLookupRequest[] _semantic = null!;
    private CacheLookupRequest[] _vectorOnly = null!;
    private CacheLookupRequest[] _miss = null!;
    private int _i;
    private SemCache.Vectors.PartitionIndex _graph = null!;
    private float[][] _near = null!;
    private readonly SemCache.Vectors.VectorHit[] _hits = new SemCache.Vectors.VectorHit[64];
    private SemanticCacheOptions _options = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _options = new SemanticCacheOptions
        {
            Durability = CacheDurability.InMemory,
            Dimensions = Dimensions,
            RequestsBringVectors = true,
            SimilarityThreshold = 0.9f,
        };
        _cache = SemanticCacheEngine.Open(_options);
        var rng = new Random(42);
        var vectors = new float[Entries][];
        for (var i = 0; i < Entries; i++)
        {
            vectors[i] = RandomUnit(rng);
            await _cache.StoreAsync(new CacheStoreRequest
            {
                Tenant = "bench",
                Scope = Scope,
                Prompt = $"benchmark question number {i} about topic {i % 97}",
                Response = $"answer {i}",
                Vector = vectors[i],
            });
        }

        // The same vectors in a bare graph built as the engine builds a partition's (and as eval-index does).
        _graph = new SemCache.Vectors.PartitionIndex(new SemCache.Vectors.VectorIndexOptions
        {
            Dimensions = Dimensions,
            FlatSearchLimit = 0,
            M = _options.HnswM,
            EfConstruction = _options.HnswEfConstruction,
            EfSearch = _options.HnswEfSearch,
        });
        _graph.Reserve(Entries);
        _graph.AddRange(Enumerable.Range(1, Entries).Select(i => (long)i).ToArray(), vectors.SelectMany(v => v).ToArray(), Environment.ProcessorCount);

        const int Queries = 1024;
        _near = new float[Queries][];
        _exact = new CacheLookupRequest[Queries];
        _exactFreshScope = new CacheLookupRequest[Queries];
        _semantic = new CacheLookupRequest[Queries];
        _vectorOnly = new CacheLookupRequest[Queries];
        _miss = new CacheLookupRequest[Queries];
        for (var q = 0; q < Queries; q++)
        {
            var i = rng.Next(Entries);
            var near = Perturb(vectors[i], rng, 0.02f);
            _near[q] = near;
            _exact[q] = new CacheLookupRequest { Tenant = "bench", Scope = Scope, Prompt = $"benchmark question number {i} about topic {i % 97}", Mode = CacheLookupMode.ExactOnly };
            // A server deserialises a new scope object per request: same content, another object.
            _exactFreshScope[q] = _exact[q] with { Scope = Scope with { } };
            _semantic[q] = new CacheLookupRequest { Tenant = "bench", Scope = Scope, Prompt = $"benchmark question number {i} regarding topic {i % 97}", Vector = near };
            _vectorOnly[q] = new CacheLookupRequest { Tenant = "bench", Scope = Scope, Vector = near };
            _miss[q] = new CacheLookupRequest { Tenant = "bench", Scope = Scope, Prompt = $"unrelated question {q}", Vector = RandomUnit(rng) };
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _cache.Dispose();
        _graph.Dispose();
    }

    [Benchmark(Baseline = true)]
    public ValueTask<CacheLookupResult> ExactHit() => _cache.LookupAsync(_exact[_i++ & 1023]);

    [Benchmark]
    public ValueTask<CacheLookupResult> ExactHitFreshScope() => _cache.LookupAsync(_exactFreshScope[_i++ & 1023]);

    [Benchmark]
    public ValueTask<CacheLookupResult> SemanticHitVerified() => _cache.LookupAsync(_semantic[_i++ & 1023]);

    [Benchmark]
    public ValueTask<CacheLookupResult> SemanticHitVectorOnly() => _cache.LookupAsync(_vectorOnly[_i++ & 1023]);

    /// <summary>The graph search alone, at the engine's ef and candidate count, for the queries of <see cref="SemanticHitVectorOnly"/>.</summary>
    [Benchmark]
    public int GraphSearchOnly() => _graph.Search(_near[_i++ & 1023], _hits.AsSpan(0, _options.MaxCandidates), _options.HnswEfSearch);

    [Benchmark]
    public ValueTask<CacheLookupResult> Miss() => _cache.LookupAsync(_miss[_i++ & 1023]);

    private static float[] RandomUnit(Random rng)
    {
        var v = new float[Dimensions];
        for (var i = 0; i < v.Length; i++) { v[i] = (float)((rng.NextDouble() * 2) - 1); }
        Normalize(v);
        return v;
    }

    private static float[] Perturb(float[] v, Random rng, float amount)
    {
        var p = new float[v.Length];
        for (var i = 0; i < v.Length; i++) { p[i] = v[i] + (float)(((rng.NextDouble() * 2) - 1) * amount); }
        Normalize(p);
        return p;
    }

    private static void Normalize(float[] v)
    {
        var n = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.Dot(v, v));
        for (var i = 0; i < v.Length; i++) { v[i] /= n; }
    }
}
