namespace SemCache.Storage;

/// <summary>
/// CONTRACT (owned by the Storage work): durable storage of entries by id and of exact keys,
/// implemented on FASTER. All members are thread-safe.
/// </summary>
internal interface IEntryStore : IAsyncDisposable
{
    /// <summary>Highest entry id ever stored (recovered at open), 0 for an empty store.</summary>
    long MaxEntryId { get; }

    /// <summary>
    /// Writes the entry and its exact key (exact key → id, replacing any previous id for that key).
    /// Completes according to the durability mode: in Durable mode only once the record is on the device.
    /// </summary>
    ValueTask PutAsync(CacheEntryRecord entry, CancellationToken cancellationToken);

    /// <summary>Reads an entry by id; false when absent or deleted.</summary>
    bool TryGet(long entryId, out CacheEntryRecord? entry);

    /// <summary>Reads the id stored under an exact key (32 bytes); false when absent.</summary>
    bool TryGetExact(ReadOnlySpan<byte> exactKey, out long entryId);

    /// <summary>
    /// Reads an entry by id for serving, without building its record: <paramref name="accept"/> sees the
    /// checked fields as slices of the read buffer and, when it accepts, only the response and earlier
    /// responses are decoded. <see cref="ServeRead.Missing"/> when absent, deleted or corrupt (like
    /// <see cref="TryGet"/> returning false).
    /// </summary>
    ServeRead TryServe<TState>(long entryId, in TState state, EntryFilter<TState> accept, out string response, out string[] earlierResponses);

    /// <summary>
    /// Deletes an entry and, when it still points at this entry, its exact key. Durable like
    /// <see cref="PutAsync"/>. False when the entry was not present.
    /// </summary>
    ValueTask<bool> DeleteAsync(long entryId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes several entries (and the exact keys that still point at them) as one unit: after a
    /// crash either all of them are gone or none is. Durable mode completes after one write-ahead log
    /// commit that covers them all. Returns how many were present. Cancellation is observed only
    /// before the write starts.
    /// </summary>
    ValueTask<int> DeleteManyAsync(IReadOnlyCollection<long> entryIds, CancellationToken cancellationToken);

    /// <summary>Every live entry (used at start to rebuild the engine's in-memory state). Order is unspecified.</summary>
    IEnumerable<CacheEntryRecord> ScanLive();

    /// <summary>
    /// Takes a checkpoint: after it completes, everything stored before the call survives a crash
    /// in every durability mode but InMemory, and recovery replays less.
    /// </summary>
    ValueTask CheckpointAsync(CancellationToken cancellationToken);
}

/// <summary>What <see cref="IEntryStore.TryServe"/> found.</summary>
internal enum ServeRead
{
    /// <summary>Absent, deleted or corrupt.</summary>
    Missing,

    /// <summary>Present and intact, but the filter refused it.</summary>
    Rejected,

    /// <summary>Present, intact and accepted: the response was read.</summary>
    Accepted,
}

/// <summary>Decides from an entry's encoded fields whether it may be served.</summary>
internal delegate bool EntryFilter<TState>(in EntryView entry, in TState state);
