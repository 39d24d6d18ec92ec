using SemCache.Vectors;

namespace SemCache.Eviction;

/// <summary>
/// What an entry costs in memory beyond its stored record, counted against MaxBytes and
/// MaxBytesPerTenant so that the configured capacity bounds the process, not only the records.
/// Estimates from the layouts, deliberately on the high side; per-entry figures (not measured
/// per partition) so that evicting an entry always lowers the count by what it was charged.
/// </summary>
internal static class EntryCost
{
    /// <summary>
    /// The engine's bookkeeping per entry: the metadata object (~150 bytes with header), its node in
    /// the id map (~56), two list slots (16), an expiry-queue item (~24), rounded up for the maps'
    /// spare capacity. (Exact keys live only in the store, whose records are counted separately.)
    /// </summary>
    public const long MetadataBytes = 288;

    /// <summary>Per tag: its slot in the entry's array and its id in the tenant's tag set.</summary>
    public const long TagBytes = 40;

    /// <summary>
    /// One vector in a partition index: the float32 arena row, the level-0 link record (2·M uint ids
    /// plus a count), upper-level links on average (M ids at probability 1/ln M, rounded up), the node's key,
    /// level and flags, and the index's key map entry.
    /// </summary>
    public static long VectorBytes(VectorIndexOptions index) =>
        (index.Dimensions * 4L) + ((2L * index.M + 1) * 4) + (index.M * 4L) + 16 + 28;

    /// <summary>
    /// Fixed cost of one partition: the index as created (initial arena and graph), the partition object,
    /// its keys and the registry's map node.
    /// </summary>
    public static long PartitionBytes(VectorIndexOptions index)
    {
        using var empty = new PartitionIndex(index);
        return empty.MemoryBytes + Partitions.PartitionRegistry.PartitionOverheadBytes;
    }
}
