using BenchmarkDotNet.Attributes;
using SemCache.Engine;
using SemCache.Storage;
using SemCache.Verification;

namespace SemCache.Benchmarks.Verification;

/// <summary>
/// What the verifier adds to a semantic hit, end to end and side by side: one engine setup (one
/// 10,000-entry HNSW partition of 384-dimensional vectors, in memory, requests bringing their
/// vectors, so no embedding) and the same paraphrased lookups. Baseline: the lookup with its vector
/// only, which skips the exact layer and the verifier. Then the same lookup with its prompt, on an
/// engine whose verifier is off (exact-layer probe and query analysis, no rules) and on one with
/// the default rules. Every lookup is a semantic hit that passes the rules, so
/// <c>SemanticHitVerifierOn</c> over the baseline bounds what the verifier adds (it also holds the
/// exact-layer probe).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Verification", "Engine")]
public class VerifierOverheadBenchmarks
{
    private const int Dimensions = 384;
    private const int Entries = 10_000;
    private const int Queries = 1024;
    private static readonly CacheScope Scope = new() { Model = "bench-model", SystemPrompt = "You are a benchmark." };
    private static readonly string[] Topics = ["invoices", "passwords", "shipping", "refunds", "accounts", "reports", "exports", "alerts"];

    private SemanticCache _withoutVerifier = null!;
    private SemanticCache _withVerifier = null!;
    private CacheLookupRequest[] _lookups = null!;
    private CacheLookupRequest[] _vectorOnly = null!;
    private int _i;

    [GlobalSetup]
    public async Task Setup()
    {
        _withoutVerifier = Open(new VerifierOptions { Enabled = false });
        _withVerifier = Open(new VerifierOptions());
        var rng = new Random(42);
        var vectors = new float[Entries][];
        for (var i = 0; i < Entries; i++)
        {
            vectors[i] = RandomUnit(rng);
            var request = new CacheStoreRequest
            {
                Tenant = "bench",
                Scope = Scope,
                Prompt = $"How do I export the {Topics[i % Topics.Length]} report number {i} to a spreadsheet in the Contoso dashboard?",
                Response = $"answer {i}",
                Vector = vectors[i],
            };
            await _withoutVerifier.StoreAsync(request);
            await _withVerifier.StoreAsync(request);
        }

        _lookups = new CacheLookupRequest[Queries];
        _vectorOnly = new CacheLookupRequest[Queries];
        for (var q = 0; q < Queries; q++)
        {
            var i = rng.Next(Entries);
            _lookups[q] = new CacheLookupRequest
            {
                Tenant = "bench",
                Scope = Scope,
                Prompt = $"What is the way to get {Topics[i % Topics.Length]} report number {i} out of the Contoso dashboard as a spreadsheet?",
                Vector = Perturb(vectors[i], rng, 0.02f),
            };
            _vectorOnly[q] = _lookups[q] with { Prompt = null };
        }

        // Every lookup must be a semantic hit in both engines, or the comparison would be of misses.
        foreach (var lookup in _lookups)
        {
            if ((await _withVerifier.LookupAsync(lookup)).Kind != CacheHitKind.Semantic || (await _withoutVerifier.LookupAsync(lookup)).Kind != CacheHitKind.Semantic)
            {
                throw new InvalidOperationException("a benchmark lookup is not a semantic hit: " + lookup.Prompt);
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _withoutVerifier.Dispose();
        _withVerifier.Dispose();
    }

    [Benchmark(Baseline = true)]
    public ValueTask<CacheLookupResult> SemanticHitVectorOnly() => _withVerifier.LookupAsync(_vectorOnly[_i++ & (Queries - 1)]);

    [Benchmark]
    public ValueTask<CacheLookupResult> SemanticHitVerifierOff() => _withoutVerifier.LookupAsync(_lookups[_i++ & (Queries - 1)]);

    [Benchmark]
    public ValueTask<CacheLookupResult> SemanticHitVerifierOn() => _withVerifier.LookupAsync(_lookups[_i++ & (Queries - 1)]);

    private static SemanticCache Open(VerifierOptions verifier)
    {
        var options = new SemanticCacheOptions
        {
            Durability = CacheDurability.InMemory,
            Dimensions = Dimensions,
            RequestsBringVectors = true,
            SimilarityThreshold = 0.9f,
            DataDirectory = Path.Combine(Path.GetTempPath(), "semcache-bench-" + Guid.NewGuid().ToString("N")),
        };
        return new SemanticCache(options, EntryStoreFactory.Open(options), embedder: null, verifierOptions: verifier);
    }

    private static float[] RandomUnit(Random rng)
    {
        var v = new float[Dimensions];
        for (var d = 0; d < Dimensions; d++)
        {
            v[d] = (float)((rng.NextDouble() * 2) - 1);
        }

        Normalize(v);
        return v;
    }

    private static float[] Perturb(float[] source, Random rng, float scale)
    {
        var v = new float[Dimensions];
        for (var d = 0; d < Dimensions; d++)
        {
            v[d] = source[d] + (float)(((rng.NextDouble() * 2) - 1) * scale);
        }

        Normalize(v);
        return v;
    }

    private static void Normalize(float[] v)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
    }
}
