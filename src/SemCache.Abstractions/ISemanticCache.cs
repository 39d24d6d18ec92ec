namespace SemCache;

/// <summary>
/// A semantic cache for LLM answers: an exact layer plus similarity search over earlier prompts,
/// always scoped by tenant and <see cref="CacheScope"/>. The embedded engine and the remote client
/// implement the same interface, so a service moves between them by changing one registration.
/// </summary>
/// <remarks>
/// Every method validates its arguments and throws <see cref="ArgumentException"/> (or a subtype)
/// naming the offending field; a rejected call changes nothing that is stored.
/// </remarks>
public interface ISemanticCache
{
    /// <summary>Looks a prompt up: exact match first, then a verified semantic match.</summary>
    ValueTask<CacheLookupResult> LookupAsync(CacheLookupRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Looks many prompts up in one call (evaluation, warm-up, offline pipelines). Each result is
    /// the one <see cref="LookupAsync"/> would give for the same request at the same moment (same
    /// scope, verifier and ambiguity rules); prompts are embedded in batches and, where a batch
    /// similarity scorer is configured, searched together. Results come back in request order.
    /// The whole batch is validated before anything runs: one invalid request refuses the batch,
    /// with an <see cref="ArgumentException"/> naming its position (<c>requests[3].Prompt</c>).
    /// </summary>
    ValueTask<IReadOnlyList<CacheLookupResult>> LookupBatchAsync(IReadOnlyList<CacheLookupRequest> requests, CancellationToken cancellationToken = default);

    /// <summary>Stores an answer. An entry with the same scope, context and prompt is replaced.</summary>
    ValueTask<CacheStoreResult> StoreAsync(CacheStoreRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Looks up and, on a miss, runs <paramref name="factory"/> and stores its result. Concurrent
    /// identical misses (same tenant, scope, context and prompt) run the factory once; the other
    /// callers await its result. A factory that throws caches nothing and its exception reaches
    /// every waiting caller.
    /// </summary>
    ValueTask<CacheGetOrCreateResult> GetOrCreateAsync(
        CacheLookupRequest request,
        Func<CancellationToken, ValueTask<CacheFill>> factory,
        CancellationToken cancellationToken = default);

    /// <summary>Removes entries by id, tag, scope or tenant. Returns how many entries were removed.</summary>
    ValueTask<long> InvalidateAsync(CacheInvalidation invalidation, CancellationToken cancellationToken = default);

    /// <summary>
    /// Feedback on a hit that was served: a wrong hit removes or penalises the entry so that it is
    /// harder to hit again; a correct hit raises its confidence. Returns false when the entry is unknown.
    /// </summary>
    ValueTask<bool> ReportHitAsync(CacheHitFeedback feedback, CancellationToken cancellationToken = default);

    /// <summary>Counters and sizes for one tenant, or for the whole cache when <paramref name="tenant"/> is null.</summary>
    ValueTask<CacheStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken = default);
}
