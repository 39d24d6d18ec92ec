using System.Security.Cryptography;
using System.Text;
using SemCache.Storage;

namespace SemCache.Tests.Storage;

/// <summary>A fresh folder under the temp directory, deleted with the test.</summary>
internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() =>
        Path = Directory.CreateTempSubdirectory("semcache-storage-").FullName;

    public string Path { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a killed child process; the OS temp cleaner takes it.
        }
    }
}

internal static class StorageTestSupport
{
    /// <summary>Small memory and index so many stores can be open at once in a test run.</summary>
    public static EntryStoreOptions Options(string directory, CacheDurability durability, TimeProvider? time = null) => new()
    {
        DataDirectory = directory,
        Durability = durability,
        LogMemorySizeBits = 24,
        IndexBuckets = 1 << 10,
        CheckpointInterval = TimeSpan.FromMinutes(10),
        TimeProvider = time ?? TimeProvider.System,
    };

    public static byte[] Hash(string text) => SHA256.HashData(Encoding.UTF8.GetBytes(text));

    public static CacheEntryRecord Entry(long id, string prompt = "prompt", string? response = null, float[]? vector = null) => new()
    {
        Id = id,
        Tenant = "tenant",
        ScopeFingerprint = Hash("scope"),
        ContextFingerprint = new byte[32],
        PartitionKey = new UInt128(1, 2),
        ExactKey = Hash(prompt),
        Prompt = prompt,
        Response = response ?? "response " + id,
        Tags = [],
        CreatedUtcTicks = 1000 + id,
        ExpiresUtcTicks = 0,
        Vector = vector,
    };

    /// <summary>Asserts two records are equal field by field (vectors bit for bit).</summary>
    public static void AssertSame(CacheEntryRecord expected, CacheEntryRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Tenant, actual.Tenant);
        Assert.Equal(expected.ScopeFingerprint, actual.ScopeFingerprint);
        Assert.Equal(expected.ContextFingerprint, actual.ContextFingerprint);
        Assert.Equal(expected.PartitionKey, actual.PartitionKey);
        Assert.Equal(expected.ExactKey, actual.ExactKey);
        Assert.Equal(expected.Prompt, actual.Prompt);
        Assert.Equal(expected.Response, actual.Response);
        Assert.Equal(expected.EarlierResponses, actual.EarlierResponses);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.CreatedUtcTicks, actual.CreatedUtcTicks);
        Assert.Equal(expected.ExpiresUtcTicks, actual.ExpiresUtcTicks);
        Assert.Equal(expected.InputTokens, actual.InputTokens);
        Assert.Equal(expected.OutputTokens, actual.OutputTokens);
        Assert.Equal(BitConverter.DoubleToInt64Bits(expected.Cost), BitConverter.DoubleToInt64Bits(actual.Cost));
        if (expected.Vector is null)
        {
            Assert.Null(actual.Vector);
        }
        else
        {
            Assert.NotNull(actual.Vector);
            Assert.Equal(
                expected.Vector.Select(BitConverter.SingleToInt32Bits),
                actual.Vector.Select(BitConverter.SingleToInt32Bits));
        }
    }
}
