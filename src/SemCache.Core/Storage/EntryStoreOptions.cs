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

    /// <summary>
    /// Log2 of the memory held by the in-memory part of the log. Default 28 (256 MiB). In InMemory mode the
    /// older records live in native memory behind it (see <see cref="NativeMemoryDevice"/>).
    /// </summary>
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
            LogMemorySizeBits = LogMemoryBitsFor(options.MaxBytes, options.Durability),
            IndexBuckets = IndexBucketsFor(options.MaxBytes, options.MaxEntries, options.Dimensions, options.Durability),
        };
    }

    /// <summary>
    /// The store's in-memory log (pinned managed pages, allocated as the log grows and then reused) follows
    /// the cache's byte limit instead of a fixed size. In <c>Fast</c>/<c>Durable</c> mode it is twice
    /// <paramref name="maxBytes"/> rounded up to a power of two (records beyond it are read from disk),
    /// between 16 MiB and 256 MiB; no limit keeps 256 MiB. In <c>InMemory</c> mode older pages move to native
    /// memory (<see cref="NativeMemoryDevice"/>), so the managed log only needs the newest records: half the
    /// limit, between 16 MiB (four pages) and 64 MiB; no limit takes 64 MiB.
    /// </summary>
    internal static int LogMemoryBitsFor(long maxBytes, CacheDurability durability = CacheDurability.Durable)
    {
        var inMemory = durability == CacheDurability.InMemory;
        var ceilingBits = inMemory ? InMemoryLogCeilingBits : 28;
        if (maxBytes <= 0) { return ceilingBits; }
        var target = inMemory ? Math.Max(1, maxBytes / 2) : 2 * maxBytes;
        var bits = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)(target - 1));
        return Math.Clamp(bits, MinPageSizeBits + 2, ceilingBits);
    }

    /// <summary>Largest managed log of InMemory mode (64 MiB); the rest of its records live in native memory.</summary>
    internal const int InMemoryLogCeilingBits = 26;

    /// <summary>
    /// Hash buckets of an InMemory cache that no limit bounds: 2^18 (16 MiB), about a million keys at two per
    /// bucket. A persistent one keeps the store's default of 2^20 (64 MiB, a few million keys): it is
    /// expected to outgrow memory, and recovery adopts whatever size its checkpoint was written with.
    /// </summary>
    internal const long UnboundedInMemoryIndexBuckets = 1L << 18;

    /// <summary>
    /// The store's hash index (pinned, allocated in full at open) is sized for the most entries the limits
    /// allow instead of a fixed 64 MiB: each entry has two keys (its record and its exact key) and FASTER's
    /// 64-byte buckets hold seven, so one bucket per entry keeps chains short. The most entries come from
    /// <paramref name="maxEntries"/> or from <paramref name="maxBytes"/> divided by the least an entry is charged
    /// (its metadata, record header and vector). Between 2^12 and 2^20 buckets; with no limit,
    /// <see cref="UnboundedInMemoryIndexBuckets"/> in InMemory mode and 2^20 otherwise (more keys chain
    /// overflow buckets, allocated as needed).
    /// </summary>
    internal static long IndexBucketsFor(long maxBytes, long maxEntries, int dimensions, CacheDurability durability = CacheDurability.Durable)
    {
        long entries = long.MaxValue;
        if (maxEntries > 0) { entries = maxEntries; }
        if (maxBytes > 0) { entries = Math.Min(entries, maxBytes / (MinChargedEntryBytes + (4L * Math.Max(1, dimensions)))); }
        if (entries == long.MaxValue) { return durability == CacheDurability.InMemory ? UnboundedInMemoryIndexBuckets : 1L << 20; }
        var bits = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)Math.Max(1, entries - 1));
        return 1L << Math.Clamp(bits, 12, 20);
    }

    /// <summary>The least an entry is charged besides its vector: the engine's metadata and the record's fixed part.</summary>
    private const long MinChargedEntryBytes = Eviction.EntryCost.MetadataBytes + 96;

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
