using SemCache.Vectors;
using SemCache.Vectors.Quantization;

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
    /// One vector in a partition index: the float32 arena row (dimensions rounded up to 16 floats), the
    /// quantised code of an int8 or binary index, the level-0 link record (2·M uint ids plus a count),
    /// upper-level links on average (M ids at probability 1/ln M, rounded up), the node's key, level and
    /// flags, and the index's key map entry — plus this vector's share of the tombstones its partition may
    /// hold: a removed entry's node stays in the index until the background rebuild compacts it, which
    /// starts once tombstones exceed <see cref="VectorIndexOptions.TombstoneRebuildFraction"/> f of the
    /// nodes, so up to f / (1 - f) removed nodes per live one (a third at the default 0.25). Charged per
    /// live entry rather than per tombstone so that evicting an entry always lowers the count by what it
    /// was charged, while the memory it leaves behind until the rebuild stays covered.
    /// </summary>
    public static long VectorBytes(VectorIndexOptions index)
    {
        var fraction = index.TombstoneRebuildFraction;
        if (fraction >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(index), fraction, "Tombstones bounded by the whole index cannot be charged per live vector.");
        }

        var node = (HnswGraph.StrideFor(index.Dimensions) * 4L) + CodeArena.CodeBytesFor(index.Encoding, index.Dimensions)
            + ((2L * index.M + 1) * 4) + (index.M * 4L) + 16 + 28;
        return node + (long)Math.Ceiling(node * fraction / (1 - fraction));
    }

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
