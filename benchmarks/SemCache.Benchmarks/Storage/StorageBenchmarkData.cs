using System.Security.Cryptography;
using SemCache.Storage;

namespace SemCache.Benchmarks.Storage;

/// <summary>Synthetic entries from a fixed seed: short prompt and response, a small unit vector.</summary>
internal static class StorageBenchmarkData
{
    public static CacheEntryRecord Entry(long id, int dimensions, Random random)
    {
        var vector = new float[dimensions];
        var norm = 0f;
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)(random.NextDouble() - 0.5);
            norm += vector[i] * vector[i];
        }

        norm = MathF.Sqrt(norm);
        for (var i = 0; i < vector.Length; i++)
            vector[i] /= norm;

        Span<byte> seed = stackalloc byte[sizeof(long)];
        BitConverter.TryWriteBytes(seed, id);
        return new CacheEntryRecord
        {
            Id = id,
            Tenant = "tenant-" + (id % 16),
            ScopeFingerprint = SHA256.HashData(seed[..1]),
            ContextFingerprint = new byte[32],
            PartitionKey = new UInt128(0, (ulong)(id % 16)),
            ExactKey = SHA256.HashData(seed),
            Prompt = "What is the capital of country number " + id + "?",
            Response = "The capital of country number " + id + " is City" + id + ".",
            Tags = [],
            CreatedUtcTicks = 638_000_000_000_000_000 + id,
            ExpiresUtcTicks = 0,
            InputTokens = 12,
            OutputTokens = 9,
            Cost = 0.0001,
            Vector = vector,
        };
    }
}
