using System.Collections.Concurrent;

namespace SemCache;

/// <summary>
/// Coalesces concurrent computations of the same key: the first caller (the leader) runs the work,
/// callers that arrive while it runs wait for its result instead of running the work again. Used by
/// the embedded engine and the remote client for <see cref="ISemanticCache.GetOrCreateAsync"/>, so that
/// concurrent identical misses call the LLM once.
/// </summary>
/// <remarks>
/// A leader that fails shares its failure with the waiters (they would have run the same work). A
/// leader that is <i>cancelled</i> does not: its cancellation is its caller's business, so each waiter
/// tries again and one of them becomes the new leader. A waiter's own cancellation ends only its wait.
/// </remarks>
/// <typeparam name="TKey">What identifies one computation (e.g. the hash of tenant, scope and prompt).</typeparam>
public sealed class SingleFlight<TKey>
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Task<CacheLookupResult>> _flights;

    /// <summary>Creates an empty set of flights.</summary>
    public SingleFlight() => _flights = new();

    /// <summary>Creates an empty set of flights whose keys are compared by <paramref name="comparer"/>.</summary>
    public SingleFlight(IEqualityComparer<TKey> comparer) => _flights = new(comparer);

    /// <summary>Computations running now (each key once); zero when idle.</summary>
    public int Count => _flights.Count;

    /// <summary>
    /// <see cref="ISemanticCache.GetOrCreateAsync"/> for a cache that stores through its own public API (a
    /// remote client, a forwarding cluster cache): looks <paramref name="request"/> up; on a miss, concurrent
    /// callers with the same key (<paramref name="keyOf"/> of the request) run <paramref name="factory"/> once,
    /// its answer is stored through <paramref name="cache"/> and returned as a miss that carries the new entry.
    /// </summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The request has no prompt to store the answer under.</exception>
    public async ValueTask<CacheGetOrCreateResult> GetOrCreateAsync(
        ISemanticCache cache,
        CacheLookupRequest request,
        Func<CacheLookupRequest, TKey> keyOf,
        Func<CancellationToken, ValueTask<CacheFill>> factory,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(keyOf);
        ArgumentNullException.ThrowIfNull(factory);
        var lookup = await cache.LookupAsync(request, cancellationToken).ConfigureAwait(false);
        if (lookup.IsHit)
        {
            return new CacheGetOrCreateResult(lookup, Created: false, Coalesced: false);
        }

        if (request.Prompt is null)
        {
            throw new ArgumentException("Prompt is required to store the factory's answer.", nameof(request));
        }

        var created = false;
        var (result, coalesced) = await RunAsync(
            keyOf(request),
            async (takingOver, ct) =>
            {
                if (takingOver)
                {
                    // An earlier leader was cancelled, possibly after storing: look again first.
                    var again = await cache.LookupAsync(request, ct).ConfigureAwait(false);
                    if (again.IsHit) { return again; }
                }

                var fill = await factory(ct).ConfigureAwait(false);
                ArgumentNullException.ThrowIfNull(fill, nameof(factory));
                var stored = await cache.StoreAsync(
                    new CacheStoreRequest
                    {
                        Tenant = request.Tenant,
                        Scope = request.Scope,
                        Prompt = request.Prompt,
                        Response = fill.Response,
                        Vector = request.Vector,
                        Context = request.Context,
                        Tags = fill.Tags,
                        TimeToLive = fill.TimeToLive,
                        Usage = fill.Usage,
                        Feature = request.Feature,
                    },
                    ct).ConfigureAwait(false);
                created = true;
                return new CacheLookupResult
                {
                    Kind = CacheHitKind.Miss,
                    EntryId = stored.EntryId,
                    Response = fill.Response,
                    Usage = fill.Usage,
                    Tags = fill.Tags ?? [],
                };
            },
            cancellationToken).ConfigureAwait(false);
        return new CacheGetOrCreateResult(result, Created: created, Coalesced: coalesced);
    }

    /// <summary>
    /// Runs <paramref name="work"/> for <paramref name="key"/> unless a run for the key is already in
    /// flight, in which case its result is awaited. <paramref name="work"/> receives whether an earlier
    /// leader was cancelled before this caller took over (so it may look again before computing).
    /// Returns the result and whether it was shared from another caller's run.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="work"/> is null.</exception>
    public async ValueTask<(CacheLookupResult Result, bool Coalesced)> RunAsync(
        TKey key,
        Func<bool, CancellationToken, ValueTask<CacheLookupResult>> work,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(work);
        var takingOver = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var mine = new TaskCompletionSource<CacheLookupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            var flight = _flights.GetOrAdd(key, mine.Task);
            if (flight != mine.Task)
            {
                try
                {
                    return (await flight.WaitAsync(cancellationToken).ConfigureAwait(false), true);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && flight.IsCanceled)
                {
                    // The leader was cancelled, not us: try again, and lead if nobody else does.
                    takingOver = true;
                    continue;
                }
            }

            try
            {
                var result = await work(takingOver, cancellationToken).ConfigureAwait(false);
                mine.SetResult(result);
                return (result, false);
            }
            catch (OperationCanceledException)
            {
                mine.TrySetCanceled(CancellationToken.None);
                throw;
            }
            catch (Exception e)
            {
                mine.TrySetException(e);
                throw;
            }
            finally
            {
                _flights.TryRemove(new KeyValuePair<TKey, Task<CacheLookupResult>>(key, mine.Task));
            }
        }
    }
}
