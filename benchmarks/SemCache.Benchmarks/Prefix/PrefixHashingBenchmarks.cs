using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Attributes;
using SemCache.Prefix;

namespace SemCache.Benchmarks.Prefix;

/// <summary>
/// Block hashing of one 8,192-token prompt, side by side with plain XXH3-128 over the same token bytes: one call per
/// block, unchained (the baseline), and one call over all 32 KiB (XXH3's bulk speed, which no per-block scheme can
/// reach: it finalises once instead of once per block). Measured: the chained semcache scheme (XXH3-128 per block,
/// 16-byte parent key in front), its SHA-256 option, and Dynamo's per-block XXH3-64. Tokens per second = 8,192 / mean.
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

    [Benchmark(Baseline = true, Description = "plain XXH3-128 per block, unchained")]
    public UInt128 PlainXxh3PerBlock()
    {
        // The same token bytes, one plain XXH3-128 call per block: what any block-level scheme must at least pay.
        var bytes = MemoryMarshal.AsBytes(_tokens.AsSpan());
        var size = BlockSize * 4;
        UInt128 last = 0;
        for (var i = 0; i + size <= bytes.Length; i += size) { _keys[i / size] = last = XxHash128.HashToUInt128(bytes.Slice(i, size), 1337); }
        return last;
    }

    [Benchmark(Description = "plain XXH3-128, one call over all bytes")]
    public UInt128 PlainXxh3Bulk() => XxHash128.HashToUInt128(MemoryMarshal.AsBytes(_tokens.AsSpan()), 1337);

    [Benchmark(Description = "semcache chained XXH3-128")]
    public int ChainedXxh3() => PrefixHashing.ChainKeys(_tokens, BlockSize, _xxhSeed, [], PrefixHashAlgorithm.XxHash128, _keys);

    [Benchmark(Description = "semcache chained SHA-256")]
    public int ChainedSha256() => PrefixHashing.ChainKeys(_tokens, BlockSize, _shaSeed, [], PrefixHashAlgorithm.Sha256, _keys);

    [Benchmark(Description = "Dynamo per-block XXH3-64")]
    public int Dynamo() => PrefixHashing.DynamoBlockHashes(_tokens, BlockSize, _hashes);
}
