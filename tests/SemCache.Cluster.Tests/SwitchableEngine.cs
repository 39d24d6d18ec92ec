using SemCache.Engine;

namespace SemCache.Cluster.Tests;

/// <summary>A silo's engine whose stores can be made to fail (a faulted disk), to show a failing copy does not block its group.</summary>
internal sealed class SwitchableEngine(IEmbeddedSemanticCache inner) : IEmbeddedSemanticCache, IEntryTransfer
{
    public volatile bool FailStores;

    public ValueTask<CacheLookupResult> LookupAsync(CacheLookupRequest request, CancellationToken cancellationToken = default) => inner.LookupAsync(request, cancellationToken);

    public ValueTask<IReadOnlyList<CacheLookupResult>> LookupBatchAsync(IReadOnlyList<CacheLookupRequest> requests, CancellationToken cancellationToken = default) => inner.LookupBatchAsync(requests, cancellationToken);

    public ValueTask<CacheStoreResult> StoreAsync(CacheStoreRequest request, CancellationToken cancellationToken = default) =>
        FailStores ? throw new IOException("simulated write failure") : inner.StoreAsync(request, cancellationToken);

    public ValueTask<CacheGetOrCreateResult> GetOrCreateAsync(CacheLookupRequest request, Func<CancellationToken, ValueTask<CacheFill>> factory, CancellationToken cancellationToken = default) =>
        inner.GetOrCreateAsync(request, factory, cancellationToken);

    public ValueTask<long> InvalidateAsync(CacheInvalidation invalidation, CancellationToken cancellationToken = default) => inner.InvalidateAsync(invalidation, cancellationToken);

    public ValueTask<bool> ReportHitAsync(CacheHitFeedback feedback, CancellationToken cancellationToken = default) => inner.ReportHitAsync(feedback, cancellationToken);

    public ValueTask<CacheStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken = default) => inner.GetStatsAsync(tenant, cancellationToken);

    public ValueTask CheckpointAsync(CancellationToken cancellationToken = default) => inner.CheckpointAsync(cancellationToken);

    // A copy being filled imports through the same engine; a failing disk fails its imports as it fails its stores.
    public ValueTask<EntryExportPage> ExportAsync(string tenant, long afterId, int pageSize, CancellationToken cancellationToken = default) =>
        ((IEntryTransfer)inner).ExportAsync(tenant, afterId, pageSize, cancellationToken);

    public ValueTask<int> ImportAsync(string tenant, IReadOnlyList<byte[]> entries, CancellationToken cancellationToken = default) =>
        FailStores ? throw new IOException("simulated write failure") : ((IEntryTransfer)inner).ImportAsync(tenant, entries, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    public void Dispose() => inner.Dispose();
}
