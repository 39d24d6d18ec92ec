using SemCache.Storage;

namespace SemCache.Tests.Storage;

/// <summary>
/// Passes everything to a real store; a test overrides the one call it observes or breaks (batch deletes,
/// mostly), so every such decorator forwards the rest of the interface in one place.
/// </summary>
internal class ForwardingEntryStore(IEntryStore inner) : IEntryStore
{
    public long MaxEntryId => inner.MaxEntryId;

    public ValueTask PutAsync(CacheEntryRecord entry, CancellationToken cancellationToken) => inner.PutAsync(entry, cancellationToken);

    public bool TryGet(long entryId, out CacheEntryRecord? entry) => inner.TryGet(entryId, out entry);

    public bool TryGetExact(ReadOnlySpan<byte> exactKey, out long entryId) => inner.TryGetExact(exactKey, out entryId);

    public ServeRead TryServe<TState>(long entryId, in TState state, EntryFilter<TState> accept, out string response, out string[] earlierResponses) =>
        inner.TryServe(entryId, in state, accept, out response, out earlierResponses);

    public ValueTask<bool> DeleteAsync(long entryId, CancellationToken cancellationToken) => inner.DeleteAsync(entryId, cancellationToken);

    public virtual ValueTask<int> DeleteManyAsync(IReadOnlyCollection<long> entryIds, CancellationToken cancellationToken) =>
        inner.DeleteManyAsync(entryIds, cancellationToken);

    public IEnumerable<CacheEntryRecord> ScanLive() => inner.ScanLive();

    public ValueTask CheckpointAsync(CancellationToken cancellationToken) => inner.CheckpointAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
