using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using SemCache.Prefix;

namespace SemCache.Tests.Prefix;

public sealed class PrefixHashingTests
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("known-answer-secret");

    private static UInt128[] Keys(int[] tokens, int blockSize, PrefixSeed seed, PrefixHashAlgorithm algorithm = PrefixHashAlgorithm.XxHash128, string extras = "")
    {
        var keys = new UInt128[tokens.Length / blockSize];
        PrefixHashing.ChainKeys(tokens, blockSize, seed, Encoding.UTF8.GetBytes(extras), algorithm, keys);
        return keys;
    }

    private static PrefixSeed Seed(string salt = "tenant:acme", int blockSize = 4, PrefixHashAlgorithm algorithm = PrefixHashAlgorithm.XxHash128) =>
        PrefixSeed.Derive(Secret, salt, PrefixTokenizers.Caller, blockSize, algorithm);

    [Fact]
    public void Dynamo_block_hash_of_tokens_1_2_3_4_with_block_size_4_is_the_published_known_answer()
    {
        var hashes = new ulong[1];
        Assert.Equal(1, PrefixHashing.DynamoBlockHashes([1, 2, 3, 4], 4, hashes));
        Assert.Equal(14643705804678351452UL, hashes[0]);
    }

    [Fact]
    public void Dynamo_hashes_only_whole_blocks_and_each_block_on_its_own()
    {
        var hashes = new ulong[2];
        Assert.Equal(2, PrefixHashing.DynamoBlockHashes([9, 9, 9, 9, 1, 2, 3, 4, 7], 4, hashes));
        Assert.Equal(14643705804678351452UL, hashes[1]);
    }

    [Fact]
    public void Semcache_scheme_keys_are_pinned_for_xxh3_128()
    {
        var keys = Keys([1, 2, 3, 4, 5, 6, 7, 8], 4, Seed());
        Assert.Equal(PinnedXxh[0], keys[0].ToString("x32", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(PinnedXxh[1], keys[1].ToString("x32", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Semcache_scheme_keys_are_pinned_for_sha256()
    {
        var keys = Keys([1, 2, 3, 4, 5, 6, 7, 8], 4, Seed(algorithm: PrefixHashAlgorithm.Sha256), PrefixHashAlgorithm.Sha256);
        Assert.Equal(PinnedSha[0], keys[0].ToString("x32", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(PinnedSha[1], keys[1].ToString("x32", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_seed_is_the_hmac_of_the_secret_over_salt_tokenizer_block_size_algorithm_and_version()
    {
        var seed = Seed();
        var expected = System.Security.Cryptography.HMACSHA256.HashData(Secret, Encoding.UTF8.GetBytes("semcache.prefix.v1" + "\0tenant:acme" + "\0caller" + "\04" + "\0XxHash128"));
        Assert.Equal(expected, seed.Key);
        Assert.Equal(BinaryPrimitives.ReadInt64LittleEndian(expected), seed.Seed64);
        Assert.Equal(BinaryPrimitives.ReadUInt128LittleEndian(expected.AsSpan(8)), seed.Root);
    }

    [Fact]
    public void A_key_is_xxh3_128_of_the_parent_key_then_the_u32_little_endian_token_ids()
    {
        var seed = Seed();
        var keys = Keys([1, 2, 3, 4, 5, 6, 7, 8], 4, seed);

        // The layout restated byte by byte, independently of the implementation's copy.
        var first = new byte[16 + 16];
        BinaryPrimitives.WriteUInt128LittleEndian(first, seed.Root);
        for (var i = 0; i < 4; i++) { BinaryPrimitives.WriteUInt32LittleEndian(first.AsSpan(16 + (4 * i)), (uint)(i + 1)); }
        Assert.Equal(XxHash128.HashToUInt128(first, seed.Seed64), keys[0]);

        var second = new byte[32];
        BinaryPrimitives.WriteUInt128LittleEndian(second, keys[0]);
        for (var i = 0; i < 4; i++) { BinaryPrimitives.WriteUInt32LittleEndian(second.AsSpan(16 + (4 * i)), (uint)(i + 5)); }
        Assert.Equal(XxHash128.HashToUInt128(second, seed.Seed64), keys[1]);
    }

    [Fact]
    public void A_prompt_and_its_extension_share_exactly_the_blocks_of_their_common_prefix()
    {
        var random = new Random(11);
        var seed = Seed(blockSize: 16);
        for (var trial = 0; trial < 200; trial++)
        {
            var common = random.Next(0, 200);
            var a = Enumerable.Range(0, common + random.Next(0, 100)).Select(_ => random.Next(0, 200_000)).ToArray();
            var b = a.Take(common).Concat(Enumerable.Range(0, random.Next(0, 100)).Select(_ => random.Next(0, 200_000))).ToArray();

            // The first token after the common prefix differs, so the shared tokens are exactly `common`.
            if (b.Length > common && a.Length > common && a[common] == b[common]) { b[common] = a[common] + 1; }
            var ka = Keys(a, 16, seed);
            var kb = Keys(b, 16, seed);
            var sharedBlocks = Math.Min(Math.Min(ka.Length, kb.Length), common / 16);
            Assert.Equal(sharedBlocks, ka.AsSpan().CommonPrefixLength(kb));
            Assert.Empty(ka.Skip(sharedBlocks).Intersect(kb.Skip(sharedBlocks)));
        }
    }

    [Fact]
    public void One_changed_token_changes_every_later_block_key_and_no_earlier_one()
    {
        var random = new Random(12);
        var seed = Seed(blockSize: 16);
        for (var trial = 0; trial < 100; trial++)
        {
            var tokens = Enumerable.Range(0, 16 * 20 + 7).Select(_ => random.Next(0, 100_000)).ToArray();
            var changed = (int[])tokens.Clone();
            var at = random.Next(0, 16 * 20);
            changed[at] ^= 1 + random.Next(0, 1000);
            var before = Keys(tokens, 16, seed);
            var after = Keys(changed, 16, seed);
            for (var block = 0; block < before.Length; block++)
            {
                if (block < at / 16) { Assert.Equal(before[block], after[block]); } else { Assert.NotEqual(before[block], after[block]); }
            }
        }
    }

    [Fact]
    public void Tenant_salt_tokenizer_block_size_and_extras_each_give_different_keys_for_the_same_tokens()
    {
        int[] tokens = [5, 6, 7, 8, 9, 10, 11, 12];
        var baseline = Keys(tokens, 4, Seed())[0];
        Assert.NotEqual(baseline, Keys(tokens, 4, Seed(salt: "tenant:other"))[0]);
        Assert.NotEqual(baseline, Keys(tokens, 4, PrefixSeed.Derive(Secret, "tenant:acme", PrefixTokenizers.O200kBase, 4, PrefixHashAlgorithm.XxHash128))[0]);
        Assert.NotEqual(baseline, Keys(tokens, 4, PrefixSeed.Derive(Secret, "tenant:acme", PrefixTokenizers.Caller, 8, PrefixHashAlgorithm.XxHash128))[0]);
        Assert.NotEqual(baseline, Keys(tokens, 4, Seed(), extras: "lora:sql")[0]);
        Assert.NotEqual(baseline, Keys(tokens, 4, PrefixSeed.Derive("another secret"u8, "tenant:acme", PrefixTokenizers.Caller, 4, PrefixHashAlgorithm.XxHash128))[0]);
    }

    [Fact]
    public void Blocks_larger_than_the_stack_buffer_hash_like_small_ones_would()
    {
        var tokens = Enumerable.Range(0, 3 * 2048).ToArray();
        var seed = PrefixSeed.Derive(Secret, "tenant:acme", PrefixTokenizers.Caller, 2048, PrefixHashAlgorithm.XxHash128);
        var keys = Keys(tokens, 2048, seed);
        Assert.Equal(3, keys.Length);
        Assert.Equal(3, keys.Distinct().Count());
        Assert.Equal(keys[0], Keys(tokens[..2048], 2048, seed)[0]);
    }

    // Pinned from this implementation (secret "known-answer-secret", salt tenant:acme, tokenizer caller, block size 4,
    // tokens 1..8), hex: any change to the byte layout, the seed derivation or the scheme version breaks them on purpose.
    private static readonly string[] PinnedXxh = ["ad8b8e6c436766b62e9f451b478f2081", "637eb6535f99c83b7e2114af2db1dd82"];
    private static readonly string[] PinnedSha = ["e52a6ffc06c18824041f056055fd4480", "a1389f758bc2e47a0b982ad9464e6825"];
}
