using System.Security.Cryptography;
using System.Text;
using SemCache.Storage;

namespace SemCache.CrashHost;

/// <summary>
/// Entry content derived only from the id, so the crash test can check a recovered entry byte for byte
/// without the host telling it anything but the id. Shared (linked) with the test project.
/// </summary>
internal static class CrashEntries
{
    /// <summary>Every tenth entry is deleted again after its put was acknowledged.</summary>
    public static bool IsDeletedAfterPut(long id) => id % 10 == 0;

    public static CacheEntryRecord Create(long id)
    {
        var seed = SHA256.HashData(BitConverter.GetBytes(id));
        var random = new Random(BitConverter.ToInt32(seed));
        var vector = new float[32];
        for (var i = 0; i < vector.Length; i++)
            vector[i] = (float)(random.NextDouble() - 0.5);

        var response = new StringBuilder();
        var sentences = 1 + (int)(id % 7) * 40;
        for (var i = 0; i < sentences; i++)
            response.Append("Answer ").Append(id).Append(" part ").Append(i).Append(" — ü ✓. ");

        return new CacheEntryRecord
        {
            Id = id,
            Tenant = "tenant-" + (id % 3),
            ScopeFingerprint = SHA256.HashData(Encoding.UTF8.GetBytes("scope" + (id % 5))),
            ContextFingerprint = new byte[32],
            PartitionKey = new UInt128((ulong)(id % 5), (ulong)id),
            // Every 50 consecutive ids share a prompt, so exact keys are replaced while the host runs.
            ExactKey = SHA256.HashData(Encoding.UTF8.GetBytes("prompt" + (id / 50))),
            Prompt = "What is " + id + "?",
            Response = response.ToString(),
            Tags = id % 2 == 0 ? ["even", "t" + (id % 4)] : [],
            CreatedUtcTicks = 638_000_000_000_000_000 + id,
            ExpiresUtcTicks = id % 3 == 0 ? 0 : 639_000_000_000_000_000 + id,
            InputTokens = id * 3,
            OutputTokens = id * 7,
            Cost = id / 1000.0,
            Vector = id % 11 == 0 ? null : vector,
        };
    }
}
