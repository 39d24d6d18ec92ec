using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace SemCache.Prefix;

/// <summary>
/// The seed of one chain: derived on the server from the secret, the tenant's salt, the tokenizer, the block size,
/// the algorithm and the scheme version, so a key computed for one tenant (or tokenizer, or block size) can never
/// equal another's except by a 128-bit collision.
/// </summary>
internal readonly record struct PrefixSeed(long Seed64, UInt128 Root, byte[] Key)
{
    /// <summary>Bumped whenever the byte layout of a block changes; persisted keys of another version are useless.</summary>
    public const int SchemeVersion = 1;

    public static PrefixSeed Derive(ReadOnlySpan<byte> secret, string salt, string tokenizer, int blockSize, PrefixHashAlgorithm algorithm)
    {
        var label = $"semcache.prefix.v{SchemeVersion}\0{salt}\0{tokenizer}\0{blockSize}\0{algorithm}";
        var key = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(label));
        return new PrefixSeed(
            BinaryPrimitives.ReadInt64LittleEndian(key),
            BinaryPrimitives.ReadUInt128LittleEndian(key.AsSpan(8)),
            key);
    }
}

/// <summary>
/// Block hashing. The semcache scheme chains <c>K_i = H(seed, K_{i-1} ‖ block_i token ids (u32 LE) ‖ extras)</c>
/// with <c>K_0</c> the seed's root, so a key names its whole prefix: one changed token changes every later key.
/// The Dynamo scheme reproduces NVIDIA Dynamo's per-block (local) hash: XXH3-64, seed 1337, u32 LE ids.
/// </summary>
internal static class PrefixHashing
{
    /// <summary>Dynamo's fixed XXH3 seed.</summary>
    public const long DynamoSeed = 1337;

    /// <summary>Blocks larger than this are hashed from a rented buffer instead of the stack.</summary>
    private const int StackBytes = 4096;

    /// <summary>Number of whole blocks in <paramref name="tokenCount"/> tokens.</summary>
    public static int BlockCount(int tokenCount, int blockSize) => tokenCount / blockSize;

    /// <summary>
    /// Writes the chained keys of the whole blocks of <paramref name="tokens"/> into <paramref name="keys"/>
    /// (which must hold <see cref="BlockCount"/> of them) and returns their number.
    /// </summary>
    /// <remarks>
    /// One buffer laid out as <c>[SHA-256 key] ‖ parent key ‖ block tokens ‖ extras</c> serves every block: per block
    /// only the parent and the tokens are rewritten, so the cost is one short XXH3-128 call per block.
    /// </remarks>
    [SkipLocalsInit]
    public static int ChainKeys(ReadOnlySpan<int> tokens, int blockSize, in PrefixSeed seed, ReadOnlySpan<byte> extras, PrefixHashAlgorithm algorithm, Span<UInt128> keys)
    {
        var blocks = BlockCount(tokens.Length, blockSize);
        if (blocks == 0) { return 0; }
        var prefix = algorithm == PrefixHashAlgorithm.Sha256 ? seed.Key.Length : 0;
        var tokenBytes = blockSize * 4;
        var length = prefix + 16 + tokenBytes + extras.Length;
        byte[]? rented = null;
        var buffer = (length <= StackBytes ? stackalloc byte[StackBytes] : (rented = ArrayPool<byte>.Shared.Rent(length)))[..length];
        try
        {
            seed.Key.AsSpan(0, prefix).CopyTo(buffer);
            extras.CopyTo(buffer[(prefix + 16 + tokenBytes)..]);
            var parentBytes = buffer.Slice(prefix, 16);
            var blockBytes = buffer.Slice(prefix + 16, tokenBytes);
            var parent = seed.Root;
            for (var i = 0; i < blocks; i++)
            {
                BinaryPrimitives.WriteUInt128LittleEndian(parentBytes, parent);
                WriteTokens(tokens.Slice(i * blockSize, blockSize), blockBytes);
                parent = Hash(buffer, seed, algorithm);
                keys[i] = parent;
            }

            return blocks;
        }
        finally
        {
            if (rented is not null) { ArrayPool<byte>.Shared.Return(rented); }
        }
    }

    /// <summary>The key of one block given its parent's key (<see cref="PrefixSeed.Root"/> for a first block).</summary>
    public static UInt128 NextKey(UInt128 parent, ReadOnlySpan<int> blockTokens, in PrefixSeed seed, ReadOnlySpan<byte> extras, PrefixHashAlgorithm algorithm)
    {
        var prefix = algorithm == PrefixHashAlgorithm.Sha256 ? seed.Key.Length : 0;
        var length = prefix + 16 + (blockTokens.Length * 4) + extras.Length;
        byte[]? rented = null;
        var buffer = length <= StackBytes ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            seed.Key.AsSpan(0, prefix).CopyTo(buffer);
            BinaryPrimitives.WriteUInt128LittleEndian(buffer[prefix..], parent);
            WriteTokens(blockTokens, buffer.Slice(prefix + 16, blockTokens.Length * 4));
            extras.CopyTo(buffer[(prefix + 16 + (blockTokens.Length * 4))..]);
            return Hash(buffer, seed, algorithm);
        }
        finally
        {
            if (rented is not null) { ArrayPool<byte>.Shared.Return(rented); }
        }
    }

    private static UInt128 Hash(ReadOnlySpan<byte> buffer, in PrefixSeed seed, PrefixHashAlgorithm algorithm)
    {
        if (algorithm == PrefixHashAlgorithm.Sha256)
        {
            Span<byte> digest = stackalloc byte[32];
            SHA256.HashData(buffer, digest);
            return BinaryPrimitives.ReadUInt128LittleEndian(digest);
        }

        return XxHash128.HashToUInt128(buffer, seed.Seed64);
    }

    /// <summary>Dynamo's local block hash of every whole block: XXH3-64 (seed 1337) of the block's u32 LE token ids.</summary>
    [SkipLocalsInit]
    public static int DynamoBlockHashes(ReadOnlySpan<int> tokens, int blockSize, Span<ulong> hashes)
    {
        var blocks = BlockCount(tokens.Length, blockSize);
        var length = blockSize * 4;
        byte[]? rented = null;
        var buffer = length <= StackBytes ? stackalloc byte[length] : (rented = ArrayPool<byte>.Shared.Rent(length)).AsSpan(0, length);
        try
        {
            for (var i = 0; i < blocks; i++)
            {
                WriteTokens(tokens.Slice(i * blockSize, blockSize), buffer);
                hashes[i] = XxHash3.HashToUInt64(buffer, DynamoSeed);
            }
        }
        finally
        {
            if (rented is not null) { ArrayPool<byte>.Shared.Return(rented); }
        }

        return blocks;
    }

    private static void WriteTokens(ReadOnlySpan<int> tokens, Span<byte> destination)
    {
        if (BitConverter.IsLittleEndian)
        {
            // Token ids are non-negative, so an int's bytes are its u32 LE bytes: one copy, no per-token work.
            MemoryMarshal.AsBytes(tokens).CopyTo(destination);
            return;
        }

        for (var i = 0; i < tokens.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination[(i * 4)..], (uint)tokens[i]);
        }
    }
}
