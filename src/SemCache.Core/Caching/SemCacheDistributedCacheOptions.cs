namespace SemCache.Caching;

/// <summary>
/// Options of SemCache's <c>IDistributedCache</c> (the L2 of <c>HybridCache</c> or of <c>UseDistributedCache()</c>):
/// a FASTER store of its own, with the durability modes of the engine's store.
/// </summary>
public sealed class SemCacheDistributedCacheOptions
{
    /// <summary>Folder of the store. Default <c>./data/distributed-cache</c>; unused in <see cref="CacheDurability.InMemory"/> mode.</summary>
    public string DataDirectory { get; set; } = "./data/distributed-cache";

    /// <summary>Durability of a <c>Set</c>: Durable acknowledges after the write reached the device. Default Durable.</summary>
    public CacheDurability Durability { get; set; } = CacheDurability.Durable;

    /// <summary>Interval between background checkpoints. Default 30 s.</summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most live keys; setting a new key beyond it removes the oldest-written. Default 100,000.</summary>
    public int MaxEntries { get; set; } = 100_000;

    /// <summary>Largest value accepted, in bytes. Default 1 MiB.</summary>
    public int MaxValueBytes { get; set; } = 1 << 20;

    /// <summary>Longest key accepted, in characters. Default 1,024.</summary>
    public int MaxKeyLength { get; set; } = 1024;

    internal void Validate()
    {
        const string P = nameof(SemCacheDistributedCacheOptions) + ".";
        if (!Enum.IsDefined(Durability)) { throw new ArgumentOutOfRangeException(P + nameof(Durability), Durability, "Unknown durability mode."); }
        if (Durability != CacheDurability.InMemory && string.IsNullOrWhiteSpace(DataDirectory))
        {
            throw new ArgumentException(P + nameof(DataDirectory) + " is required unless Durability is InMemory.", P + nameof(DataDirectory));
        }

        if (CheckpointInterval < TimeSpan.FromMilliseconds(100) || CheckpointInterval > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(P + nameof(CheckpointInterval), CheckpointInterval, "Must be from 100 ms to 1 day.");
        }

        if (MaxEntries is < 1 or > 100_000_000) { throw new ArgumentOutOfRangeException(P + nameof(MaxEntries), MaxEntries, "Must be from 1 to 100,000,000."); }
        if (MaxValueBytes is < 1 or > 1 << 20) { throw new ArgumentOutOfRangeException(P + nameof(MaxValueBytes), MaxValueBytes, "Must be from 1 to 1,048,576 (a record must fit a store page)."); }
        if (MaxKeyLength is < 1 or > 16_384) { throw new ArgumentOutOfRangeException(P + nameof(MaxKeyLength), MaxKeyLength, "Must be from 1 to 16,384."); }
    }
}
