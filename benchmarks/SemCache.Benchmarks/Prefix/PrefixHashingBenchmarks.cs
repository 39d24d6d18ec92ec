using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using SemCache.Prefix;

namespace SemCache.Benchmarks.Prefix;

/// <summary>
/// Block hashing of one 8,192-token prompt, side by side with one plain XXH3 call over the same 32 KiB of token
/// bytes (the baseline): the chained semcache scheme (XXH3-128 per block, 16-byte parent key in front), its SHA-256
/// option, and Dynamo's per-block XXH3-64. Tokens per second = 8,192 / mean.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Prefix")]
public class PrefixHashingBenchmarks
{
    private const int Tokens = 8192;
    private int[] _tokens = null!;
    private UInt128[] _keys = null!;
    private ulong[] _hashes = null!;
    private PrefixSeed _xxhSeed;
    private PrefixSeed _shaSeed;

    [Params(16, 128)]
    public int BlockSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _tokens = [.. Enumerable.Range(0, Tokens).Select(_ => random.Next(0, 200_000))];
        _keys = new UInt128[Tokens / BlockSize];
        _hashes = new ulong[Tokens / BlockSize];
        _xxhSeed = PrefixSeed.Derive(Encoding.UTF8.GetBytes("bench-secret"), "tenant:bench", PrefixTokenizers.Caller, BlockSize, PrefixHashAlgorithm.XxHash128);
        _shaSeed = PrefixSeed.Derive(Encoding.UTF8.GetBytes("bench-secret"), "tenant:bench", PrefixTokenizers.Caller, BlockSize, PrefixHashAlgorithm.Sha256);
    }

    [Benchmark(Baseline = true, Description = "plain XXH3-128, one call over the same bytes")]
    public UInt128 PlainXxh3() => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(_tokens.AsSpan()), 1337);

    [Benchmark(Description = "semcache chained XXH3-128")]
    public int ChainedXxh3() => PrefixHashing.ChainKeys(_tokens, BlockSize, _xxhSeed, [], PrefixHashAlgorithm.XxHash128, _keys);

    [Benchmark(Description = "semcache chained SHA-256")]
    public int ChainedSha256() => PrefixHashing.ChainKeys(_tokens, BlockSize, _shaSeed, [], PrefixHashAlgorithm.Sha256, _keys);

    [Benchmark(Description = "Dynamo per-block XXH3-64")]
    public int Dynamo() => PrefixHashing.DynamoBlockHashes(_tokens, BlockSize, _hashes);
}
