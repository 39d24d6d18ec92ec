using System.Text;

namespace SemCache.Server.Tests;

/// <summary>
/// A small in-memory <see cref="ISemanticCache"/> with the engine's contract (tenant and scope
/// isolation, exact then vector similarity, validation by ArgumentException) so the server can be
/// tested on its own. Semantic matches need a supplied vector: there is no embedder here.
/// </summary>
internal sealed class FakeSemanticCache(int dimensions = 8) : ISemanticCache
{
    private readonly Lock _lock = new();
    private readonly List<Entry> _entries = [];
    private long _nextId;
    private readonly Dictionary<string, long[]> _counters = new(StringComparer.Ordinal);

    /// <summary>When set, lookups wait this long (honouring cancellation) before answering.</summary>
    public TimeSpan LookupDelay { get; set; }

    /// <summary>Thrown by every store while set (what a faulted engine throws).</summary>
    public Exception? StoreFailure { get; set; }

    public int LookupCalls;

    /// <summary>Most delayed lookups that ran at the same time.</summary>
    public int MaxConcurrentLookups;

    private int _runningLookups;

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen)
        {
            var previous = Interlocked.CompareExchange(ref target, value, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public async ValueTask<CacheLookupResult> LookupAsync(CacheLookupRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref LookupCalls);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.Tenant, nameof(request.Tenant));
        ValidateScope(request.Scope);
        if (request.Prompt is null && request.Vector is null)
        {
            throw new ArgumentException("Prompt or Vector is required.", nameof(request));
        }

        ValidateVector(request.Vector);
        if (LookupDelay > TimeSpan.Zero)
        {
            var running = Interlocked.Increment(ref _runningLookups);
            InterlockedMax(ref MaxConcurrentLookups, running);
            try
            {
                await Task.Delay(LookupDelay, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _runningLookups);
            }
        }

        var scope = ScopeKey(request.Scope);
        var context = ContextKey(request.Context);
        lock (_lock)
        {
            if (request.Prompt is not null)
            {
                var exact = _entries.Find(e => e.Tenant == request.Tenant && e.Scope == scope && e.Context == context && e.Prompt == request.Prompt);
                if (exact is not null)
                {
                    Tally(request.Tenant, 1);
                    return Hit(exact, CacheHitKind.Exact, 1f);
                }
            }

            var best = 0f;
            Entry? bestEntry = null;
            if (request.Mode == CacheLookupMode.ExactAndSemantic && request.Vector is { } vector)
            {
                foreach (var entry in _entries)
                {
                    if (entry.Tenant != request.Tenant || entry.Scope != scope || entry.Context != context || entry.Vector is null)
                    {
                        continue;
                    }

                    var similarity = Dot(vector.Span, entry.Vector);
                    if (similarity > best)
                    {
                        best = similarity;
                        bestEntry = entry;
                    }
                }
            }

            if (bestEntry is not null && best >= (request.MinSimilarity ?? 0.86f))
            {
                Tally(request.Tenant, 2);
                return Hit(bestEntry, CacheHitKind.Semantic, best);
            }

            Tally(request.Tenant, 3);
            return CacheLookupResult.Miss(best, bestEntry is null ? [] : ["veto:threshold"]);
        }
    }

    public async ValueTask<IReadOnlyList<CacheLookupResult>> LookupBatchAsync(IReadOnlyList<CacheLookupRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new CacheLookupResult[requests.Count];
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = await LookupAsync(requests[i], cancellationToken);
        }

        return results;
    }

    public ValueTask<CacheStoreResult> StoreAsync(CacheStoreRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (StoreFailure is { } failure)
        {
            throw failure;
        }

        ArgumentException.ThrowIfNullOrEmpty(request.Tenant, nameof(request.Tenant));
        ValidateScope(request.Scope);
        ArgumentException.ThrowIfNullOrEmpty(request.Prompt, nameof(request.Prompt));
        ArgumentNullException.ThrowIfNull(request.Response, nameof(request.Response));
        ValidateVector(request.Vector);
        var entry = new Entry
        {
            Tenant = request.Tenant,
            Scope = ScopeKey(request.Scope),
            Context = ContextKey(request.Context),
            Prompt = request.Prompt,
            Response = request.Response,
            Vector = request.Vector?.ToArray(),
            Tags = request.Tags ?? [],
            Usage = request.Usage,
            Created = DateTimeOffset.UtcNow,
        };
        lock (_lock)
        {
            var replaced = _entries.RemoveAll(e => e.Tenant == entry.Tenant && e.Scope == entry.Scope && e.Context == entry.Context && e.Prompt == entry.Prompt) > 0;
            entry.Id = ++_nextId;
            _entries.Add(entry);
            Tally(request.Tenant, 0);
            return ValueTask.FromResult(new CacheStoreResult(entry.Id, replaced));
        }
    }

    public async ValueTask<CacheGetOrCreateResult> GetOrCreateAsync(CacheLookupRequest request, Func<CancellationToken, ValueTask<CacheFill>> factory, CancellationToken cancellationToken = default)
    {
        var lookup = await LookupAsync(request, cancellationToken);
        if (lookup.IsHit)
        {
            return new CacheGetOrCreateResult(lookup, false, false);
        }

        var fill = await factory(cancellationToken);
        var stored = await StoreAsync(
            new CacheStoreRequest { Tenant = request.Tenant, Scope = request.Scope, Prompt = request.Prompt!, Response = fill.Response, Vector = request.Vector, Context = request.Context, Tags = fill.Tags, Usage = fill.Usage },
            cancellationToken);
        return new CacheGetOrCreateResult(new CacheLookupResult { EntryId = stored.EntryId, Response = fill.Response, Usage = fill.Usage }, true, false);
    }

    public ValueTask<long> InvalidateAsync(CacheInvalidation invalidation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invalidation);
        var scope = invalidation.Scope is null ? null : ScopeKey(invalidation.Scope);
        lock (_lock)
        {
            long removed = _entries.RemoveAll(e => e.Tenant == invalidation.Tenant
                && (invalidation.EntryId is null || e.Id == invalidation.EntryId)
                && (invalidation.Tag is null || e.Tags.Contains(invalidation.Tag))
                && (scope is null || e.Scope == scope));
            return ValueTask.FromResult(removed);
        }
    }

    public ValueTask<bool> ReportHitAsync(CacheHitFeedback feedback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        lock (_lock)
        {
            var entry = _entries.Find(e => e.Tenant == feedback.Tenant && e.Id == feedback.EntryId);
            if (entry is null)
            {
                return ValueTask.FromResult(false);
            }

            if (!feedback.Correct)
            {
                _entries.Remove(entry);
            }

            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<CacheStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var entries = _entries.Where(e => tenant is null || e.Tenant == tenant).ToList();
            var counters = new long[4];
            foreach (var (name, values) in _counters)
            {
                if (tenant is null || name == tenant)
                {
                    for (var i = 0; i < 4; i++)
                    {
                        counters[i] += values[i];
                    }
                }
            }

            return ValueTask.FromResult(new CacheStats
            {
                Tenant = tenant,
                Entries = entries.Count,
                Bytes = entries.Sum(e => (long)Encoding.UTF8.GetByteCount(e.Prompt) + Encoding.UTF8.GetByteCount(e.Response)),
                Partitions = entries.Select(e => (e.Tenant, e.Scope, e.Context)).Distinct().Count(),
                Stores = counters[0],
                ExactHits = counters[1],
                SemanticHits = counters[2],
                Misses = counters[3],
                Lookups = counters[1] + counters[2] + counters[3],
            });
        }
    }

    private void Tally(string tenant, int index)
    {
        if (!_counters.TryGetValue(tenant, out var values))
        {
            _counters[tenant] = values = new long[4];
        }

        values[index]++;
    }

    private static CacheLookupResult Hit(Entry entry, CacheHitKind kind, float similarity) => new()
    {
        Kind = kind,
        EntryId = entry.Id,
        Response = entry.Response,
        Similarity = similarity,
        Age = DateTimeOffset.UtcNow - entry.Created,
        Usage = entry.Usage,
        Tags = entry.Tags,
        Reasons = [kind == CacheHitKind.Exact ? "exact" : "similarity"],
    };

    private static void ValidateScope(CacheScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        if (string.IsNullOrEmpty(scope.Model))
        {
            throw new ArgumentException("Scope.Model is required.", nameof(scope));
        }
    }

    private void ValidateVector(ReadOnlyMemory<float>? vector)
    {
        if (vector is { } v && v.Length != dimensions)
        {
            throw new ArgumentException($"Vector has {v.Length} dimensions, expected {dimensions}.", nameof(vector));
        }
    }

    private static string ScopeKey(CacheScope scope) => string.Join(
        '\u001f',
        scope.Model,
        scope.SystemPrompt ?? "\0",
        scope.SystemPromptHash ?? "\0",
        string.Join('\u001e', (scope.Tools ?? []).Order(StringComparer.Ordinal)),
        scope.Sampling?.ToString() ?? "\0",
        string.Join('\u001e', (scope.Extra ?? new Dictionary<string, string>()).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value)));

    private static string ContextKey(IReadOnlyList<ConversationTurn>? context) =>
        context is null ? string.Empty : string.Join('\u001e', context.Select(t => t.Role + ":" + t.Text));

    private static float Dot(ReadOnlySpan<float> a, float[] b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    private sealed class Entry
    {
        public long Id { get; set; }

        public required string Tenant { get; init; }

        public required string Scope { get; init; }

        public required string Context { get; init; }

        public required string Prompt { get; init; }

        public required string Response { get; init; }

        public float[]? Vector { get; init; }

        public required IReadOnlyList<string> Tags { get; init; }

        public CacheUsage? Usage { get; init; }

        public DateTimeOffset Created { get; init; }
    }
}
