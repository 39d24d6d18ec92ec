using System.Text;
using BenchmarkDotNet.Attributes;
using SemCache.Prefix;

namespace SemCache.Benchmarks.Prefix;

/// <summary>
/// <c>PrefixMatch</c> of an 8,192-token prompt (token ids: tokenisation excluded) against 1,000 engine backends
/// holding 10,240 blocks of 16 tokens each (10.24 M tracked blocks), side by side with one hashing pass over the
/// same 8k tokens (the baseline: the match hashes the prompt once, then does a binary search per backend).
/// Each backend holds 20 prompts of 8k tokens; its first prompt shares a different number of leading blocks with
/// the query (0 to 511), so every backend's search runs to a different depth. Setup prints the measured
/// managed memory per tracked block.
/// </summary>
[BenchmarkCategory("Prefix")]
public class PrefixMatchBenchmarks
{
    private const int Backends = 1000;
    private const int PromptsPerBackend = 20;
    private const int PromptTokens = 8192;
    private const int BlockSize = 16;

    private PrefixCache _cache = null!;
    private PrefixMatchRequest _request = null!;
    private int[] _query = null!;
    private UInt128[] _keys = null!;
    private PrefixSeed _seed;

    [GlobalSetup]
    public async Task Setup()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        _cache = new PrefixCache(
            new PrefixCacheOptions { Secret = "bench", MaxBlocksPerBackend = PromptsPerBackend * PromptTokens / BlockSize, MaxBackendsPerTenant = Backends, ExplainHistoryPerTenant = 0 },
            dataDirectory: null);
        var random = new Random(42);
        _query = [.. Enumerable.Range(0, PromptTokens).Select(_ => random.Next(0, 200_000))];
        var candidates = new PrefixCandidate[Backends];
        var prompt = new int[PromptTokens];
        for (var b = 0; b < Backends; b++)
        {
            var id = "vllm-" + b;
            await _cache.RegisterBackendAsync("bench", new PrefixBackend { Id = id, Tokenizer = PrefixTokenizers.Caller, BlockSize = BlockSize });
            for (var p = 0; p < PromptsPerBackend; p++)
            {
                // The first prompt of each backend shares a different number of leading blocks with the query; the
                // others share nothing, so every backend holds exactly 20 x 512 = 10,240 distinct blocks.
                var shared = p == 0 ? b * 7919 % (PromptTokens / BlockSize) * BlockSize : 0;
                _query.AsSpan(0, shared).CopyTo(prompt);
                for (var t = shared; t < PromptTokens; t++) { prompt[t] = random.Next(0, 200_000); }
                if (prompt[shared] == _query[shared]) { prompt[shared]++; }
                await _cache.ReportUsageAsync(new PrefixUsageReport { Tenant = "bench", BackendId = id, Prompt = PrefixPrompt.FromTokens((int[])prompt.Clone()) });
            }

            candidates[b] = new PrefixCandidate(id, random.NextDouble());
        }

        var blocks = _cache.HeldKeysCount("bench");
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"// prefix index: {blocks:N0} tracked blocks, {(after - before) / (double)blocks:F1} bytes of managed memory per block");
        _request = new PrefixMatchRequest { Tenant = "bench", Prompt = PrefixPrompt.FromTokens(_query), Candidates = candidates };
        _seed = PrefixSeed.Derive(Encoding.UTF8.GetBytes("bench"), "tenant:bench", PrefixTokenizers.Caller, BlockSize, PrefixHashAlgorithm.XxHash128);
        _keys = new UInt128[PromptTokens / BlockSize];
    }

    [GlobalCleanup]
    public void Cleanup() => _cache.Dispose();

    [Benchmark(Baseline = true, Description = "one 8k-token hashing pass")]
    public int HashOnce() => PrefixHashing.ChainKeys(_query, BlockSize, _seed, [], PrefixHashAlgorithm.XxHash128, _keys);

    [Benchmark(Description = "PrefixMatch, 8k tokens x 1,000 backends x 10k blocks")]
    public async Task<string?> Match() => (await _cache.MatchAsync(_request)).RecommendedBackend;
}
