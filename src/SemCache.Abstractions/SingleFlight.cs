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
