namespace SemCache.Storage;

/// <summary>Settings of <see cref="FasterEntryStore"/>. Validated by <see cref="Validate"/> when the store opens.</summary>
internal sealed class EntryStoreOptions
{
    /// <summary>Smallest page: a page must hold the largest record (a 1 MiB response is up to 3 MiB of UTF-8).</summary>
    public const int MinPageSizeBits = 22;

    /// <summary>Folder that holds the store (<c>store/</c>), its checkpoints and the write-ahead log (<c>wal/</c>). Unused in InMemory mode.</summary>
    public string DataDirectory { get; init; } = "./data";

    /// <summary>Durability mode; see <see cref="FasterEntryStore"/> for what each one guarantees.</summary>
    public CacheDurability Durability { get; init; } = CacheDurability.Durable;

    /// <summary>
    /// Interval between background checkpoints. In Fast mode it bounds what a crash loses; in Durable mode it
    /// bounds how much of the write-ahead log recovery replays. Default 30 s.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Log2 of the memory held by the in-memory part of the log. Default 28 (256 MiB).</summary>
    public int LogMemorySizeBits { get; init; } = 28;

    /// <summary>Log2 of the log page size; bounds the largest record. Default 22 (4 MiB), the minimum.</summary>
    public int PageSizeBits { get; init; } = MinPageSizeBits;

    /// <summary>Log2 of the size of one log file segment on disk. Default 30 (1 GiB).</summary>
    public int SegmentSizeBits { get; init; } = 30;

    /// <summary>
    /// Hash index buckets (64 bytes each, 7 keys per bucket before overflow); a power of two. Default 2^20
    /// (64 MiB), sized for a few million keys. Every checkpoint writes the whole index.
    /// </summary>
    public long IndexBuckets { get; init; } = 1L << 20;

    /// <summary>Fraction of the log that must be reclaimable (dead or replaced records) before compaction runs. Default 0.5.</summary>
    public double CompactionReclaimableFraction { get; init; } = 0.5;

    /// <summary>Compaction does not run while the log is smaller than this. Default 64 MiB.</summary>
    public long CompactionMinLogBytes { get; init; } = 64L << 20;

    /// <summary>Creates the write-ahead log's device from its file path instead of a file device (fault-injection tests).</summary>
    internal Func<string, FASTER.core.IDevice>? WalDeviceFactory { get; init; }

    /// <summary>Clock of the background checkpoint and compaction loop.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Maps the engine's options onto the store's (the rest keeps its defaults).</summary>
    public static EntryStoreOptions FromCacheOptions(SemanticCacheOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new EntryStoreOptions
        {
            DataDirectory = options.DataDirectory,
            Durability = options.Durability,
            CheckpointInterval = options.CheckpointInterval,
            LogMemorySizeBits = LogMemoryBitsFor(options.MaxBytes),
        };
    }

    /// <summary>
    /// The store's in-memory log (pinned pages, allocated as the log grows and then reused) follows the
    /// cache's byte limit instead of a fixed 256 MiB: twice <paramref name="maxBytes"/> rounded up to a
    /// power of two (records are at most MaxBytes, and compaction runs when half the log is garbage),
    /// between 16 MiB and the default. No limit keeps the default.
    /// </summary>
    internal static int LogMemoryBitsFor(long maxBytes)
    {
        const int defaultBits = 28;
        if (maxBytes <= 0) { return defaultBits; }
        var bits = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)((2 * maxBytes) - 1));
        return Math.Clamp(bits, MinPageSizeBits + 2, defaultBits);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Durability))
            throw new ArgumentOutOfRangeException(nameof(Durability), Durability, "Unknown durability mode.");
        if (Durability != CacheDurability.InMemory && string.IsNullOrWhiteSpace(DataDirectory))
            throw new ArgumentException("DataDirectory must name a folder unless Durability is InMemory.", nameof(DataDirectory));
        if (CheckpointInterval <= TimeSpan.Zero || CheckpointInterval > TimeSpan.FromDays(1))
            throw new ArgumentOutOfRangeException(nameof(CheckpointInterval), CheckpointInterval, "CheckpointInterval must be between 0 (exclusive) and 1 day.");
        if (PageSizeBits is < MinPageSizeBits or > 28)
            throw new ArgumentOutOfRangeException(nameof(PageSizeBits), PageSizeBits, $"PageSizeBits must be between {MinPageSizeBits} and 28.");
        if (LogMemorySizeBits < PageSizeBits + 2 || LogMemorySizeBits > 40)
            throw new ArgumentOutOfRangeException(nameof(LogMemorySizeBits), LogMemorySizeBits, "LogMemorySizeBits must hold at least 4 pages (PageSizeBits + 2) and be at most 40.");
        if (SegmentSizeBits < LogMemorySizeBits - 8 || SegmentSizeBits < PageSizeBits || SegmentSizeBits > 40)
            throw new ArgumentOutOfRangeException(nameof(SegmentSizeBits), SegmentSizeBits, "SegmentSizeBits must be at least PageSizeBits and at most 40.");
        if (IndexBuckets < 64 || IndexBuckets > (1L << 30) || (IndexBuckets & (IndexBuckets - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(IndexBuckets), IndexBuckets, "IndexBuckets must be a power of two between 64 and 2^30.");
        if (!(CompactionReclaimableFraction > 0 && CompactionReclaimableFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(CompactionReclaimableFraction), CompactionReclaimableFraction, "CompactionReclaimableFraction must be between 0 and 1 (exclusive).");
        if (CompactionMinLogBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(CompactionMinLogBytes), CompactionMinLogBytes, "CompactionMinLogBytes must not be negative.");
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
    }
}
