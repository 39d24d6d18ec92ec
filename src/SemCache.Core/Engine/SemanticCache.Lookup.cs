using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using SemCache.Storage;
using SemCache.Vectors;
using SemCache.Verification;

namespace SemCache.Engine;

internal sealed partial class SemanticCache
{
    /// <summary>
    /// Exact keys whose entry was recently stored or served, each with that entry's id (a fixed bound,
    /// not per entry: 64 Ki slots of one small pair each, a few MB when all are used).
    /// </summary>
    internal const int ExactIdCacheCapacity = 65_536;

    private readonly ExactIdCache _exactIds = new(ExactIdCacheCapacity);

    /// <summary>The exact-id cache (tests read its bound).</summary>
    internal ExactIdCache ExactIds => _exactIds;

    /// <summary>(Tenant, scope) pairs whose partition key is kept; a bound like the scope fingerprints'.</summary>
    internal const int PartitionKeyCacheCapacity = 4_096;

    private readonly PartitionKeyCache _partitionKeys = new(PartitionKeyCacheCapacity);

    /// <summary>Everything derived from a request's scope, context and prompt.</summary>
    private readonly record struct RequestKeys(
        PartitionKeyCache PartitionKeys,
        TenantState? Tenant,
        string TenantName,
        byte[] ScopeFingerprint,
        byte[] ContextFingerprint,
        string? NormalizedPrompt,
        UInt128 ExactCacheKey)
    {
        /// <summary>
        /// The partition, found when asked for: an exact hit never needs it. Single-turn requests find
        /// it by (tenant, scope) in a bounded cache; others hash it (a SHA-256).
        /// </summary>
        public UInt128 PartitionKey => PartitionKeys.Get(TenantName, ScopeFingerprint, ContextFingerprint);

        /// <summary>
        /// The store's exact key (SHA-256), hashed when asked for: an exact hit found through the
        /// exact-id cache never needs it. Null without a prompt.
        /// </summary>
        public Hash256? ExactKey => NormalizedPrompt is null ? null : ScopeKeys.ExactHash(TenantName, ScopeFingerprint, ContextFingerprint, NormalizedPrompt);
    }

    private RequestKeys ComputeKeys(string tenant, CacheScope scope, IReadOnlyList<ConversationTurn>? context, string? prompt, bool createTenant)
    {
        var scopeFp = _scopeFingerprints.Get(scope);
        var contextFp = ScopeKeys.ContextFingerprint(context, _options.ContextWindow);
        string? normalized = null;
        UInt128 cacheKey = default;
        if (prompt is not null)
        {
            normalized = ScopeKeys.NormalizePrompt(prompt);
            cacheKey = ScopeKeys.ExactCacheKey(_exactIds, tenant, scopeFp, contextFp, normalized);
        }

        var state = createTenant ? TenantFor(tenant) : _tenants.GetValueOrDefault(tenant);
        return new RequestKeys(_partitionKeys, state, tenant, scopeFp, contextFp, normalized, cacheKey);
    }

    /// <summary>A store made <paramref name="id"/> the entry of the request's exact key (called after the store's write).</summary>
    private void RememberExact(RequestKeys keys, long id)
    {
        if (keys.NormalizedPrompt is not null) { _exactIds.Set(keys.ExactCacheKey, id); }
    }

    private void ValidateLookup(CacheLookupRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidator.Tenant(request.Tenant);
        _validator.Scope(request.Scope);
        _validator.Context(request.Context);
        RequestValidator.LookupOptions(request);
        if (request.Prompt is null && request.Vector is null)
        {
            throw new ArgumentException("A lookup needs a Prompt, a Vector, or both.", "Prompt");
        }

        _validator.Prompt(request.Prompt, required: false);
        Accounting.CostLedger.ValidateFeature(request.Feature);
        if (request.Mode == CacheLookupMode.ExactOnly && request.Prompt is null)
        {
            throw new ArgumentException("An exact-only lookup needs a Prompt.", "Prompt");
        }
    }

    public async ValueTask<CacheLookupResult> LookupAsync(CacheLookupRequest request, CancellationToken cancellationToken = default)
    {
        using var operation = Enter();
        ValidateLookup(request);
        float[]? vector = null;
        if (request.Vector is { } given)
        {
            vector = new float[_options.Dimensions];
            _validator.Vector(given.Span, vector);
        }

        var keys = ComputeKeys(request.Tenant, request.Scope, request.Context, request.Prompt, createTenant: true);
        var result = (await LookupCoreAsync(request, keys, vector, cancellationToken)).Result;
        RecordCosts(request, result);
        return result;
    }

    /// <summary>The lookup, and the query vector if it had to be computed (so GetOrCreate stores it without embedding twice).</summary>
    private async ValueTask<(CacheLookupResult Result, float[]? Vector)> LookupCoreAsync(CacheLookupRequest request, RequestKeys keys, float[]? vector, CancellationToken cancellationToken)
    {
        using var activity = Telemetry.SemCacheTelemetry.ActivitySource.StartActivity(Telemetry.SemCacheTelemetry.LookupSpan);
        var started = Stopwatch.GetTimestamp();
        var now = NowTicks;
        var tenant = keys.Tenant;

        // A tenant that never stored anything gets the same answer, through the same steps, as a
        // tenant with an empty partition: no signal about other tenants.
        var result = TryExact(request, keys, now);
        if (result is null && request.Mode == CacheLookupMode.ExactAndSemantic)
        {
            vector ??= await EmbedAsync(request.Prompt!, "Prompt", cancellationToken);
            result = await SemanticAsync(request, keys, vector, now, cancellationToken);
        }

        result ??= CacheLookupResult.Miss();
        Record(tenant, result, Stopwatch.GetElapsedTime(started), request.Scope?.Model);
        activity?.SetTag(Telemetry.SemCacheTelemetry.OutcomeAttribute, KindName(result.Kind));
        return (result, vector);
    }

    private static string KindName(CacheHitKind kind) => kind switch
    {
        CacheHitKind.Exact => "exact",
        CacheHitKind.Semantic => "semantic",
        _ => "miss",
    };

    private CacheLookupResult? TryExact(CacheLookupRequest request, RequestKeys keys, long now)
    {
        if (keys.Tenant is null || keys.NormalizedPrompt is null) { return null; }

        // A recently seen key: its id without the SHA-256 and the store's exact-key read. Served only
        // through the same checks as below; anything that fails them takes the full path.
        if (_exactIds.TryGet(keys.ExactCacheKey, out var cached) && TryServeExact(cached, request, keys, now, out var fast))
        {
            return fast;
        }

        Span<byte> key = stackalloc byte[ScopeKeys.HashSize];
        keys.ExactKey!.Value.CopyTo(key);
        if (!_store.TryGetExact(key, out var id)) { return null; }
        if (!TryServeExact(id, request, keys, now, out var result)) { return null; }
        _exactIds.Fill(keys.ExactCacheKey, id);
        return result;
    }

    /// <summary>Serves entry <paramref name="id"/> as the exact hit of the request, when it is live, servable and the very same prompt in the same scope.</summary>
    private bool TryServeExact(long id, CacheLookupRequest request, RequestKeys keys, long now, out CacheLookupResult? result)
    {
        result = null;
        if (!_entries.TryGetValue(id, out var meta) || !Servable(meta, request, now)) { return false; }

        // The hash matched; the stored tenant, scope, context and prompt must match too, so a
        // collision can never serve another prompt's answer. Compared inside the store's read
        // buffer: of the record, only the answer is copied out.
        switch (_store.TryServe(id, new ExactCandidate(request.Tenant, keys), SameExactEntry, out var response, out var earlier))
        {
            case ServeRead.Missing:
                Unreadable(meta);
                return false;
            case ServeRead.Rejected:
                return false;
            default:
                result = Hit(CacheHitKind.Exact, meta, response, earlier, 1f, ExactReasons, now);
                return true;
        }
    }

    /// <summary>The reasons of every exact hit, shared: read-only, so no hit can change another's.</summary>
    private static readonly IReadOnlyList<string> ExactReasons = Array.AsReadOnly(["exact"]);

    /// <summary>What a stored entry must match to answer an exact lookup.</summary>
    private readonly record struct ExactCandidate(string Tenant, RequestKeys Keys);

    private static readonly EntryFilter<ExactCandidate> SameExactEntry = IsSameExactEntry;

    private static bool IsSameExactEntry(in EntryView entry, in ExactCandidate candidate) =>
        entry.ScopeFingerprint.SequenceEqual(candidate.Keys.ScopeFingerprint)
        && entry.ContextFingerprint.SequenceEqual(candidate.Keys.ContextFingerprint)
        && Utf8Equals(entry.Tenant, candidate.Tenant)

        // Stored prompts are usually already normal: then their bytes are the normal form's bytes.
        // Otherwise the stored prompt is normalised, as it always was before this shortcut.
        && (Utf8Equals(entry.Prompt, candidate.Keys.NormalizedPrompt!)
            || ScopeKeys.NormalizesTo(System.Text.Encoding.UTF8.GetString(entry.Prompt), candidate.Keys.NormalizedPrompt!));

    /// <summary>True when <paramref name="utf8"/> is <paramref name="text"/> in UTF-8 (text is valid Unicode: the validator checks).</summary>
    private static bool Utf8Equals(ReadOnlySpan<byte> utf8, string text)
    {
        // Every UTF-16 unit takes one to three UTF-8 bytes.
        if (utf8.Length < text.Length || utf8.Length > text.Length * 3L) { return false; }
        byte[]? rented = null;
        var buffer = utf8.Length <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(utf8.Length));
        try
        {
            return System.Text.Encoding.UTF8.TryGetBytes(text, buffer[..utf8.Length], out var written)
                && written == utf8.Length && buffer[..written].SequenceEqual(utf8);
        }
        finally
        {
            if (rented is not null) { ArrayPool<byte>.Shared.Return(rented); }
        }
    }

    private static bool SamePrompt(CacheEntryRecord record, RequestKeys keys) =>
        record.ScopeFingerprint.AsSpan().SequenceEqual(keys.ScopeFingerprint)
        && record.ContextFingerprint.AsSpan().SequenceEqual(keys.ContextFingerprint)
        && keys.NormalizedPrompt is not null && ScopeKeys.NormalizesTo(record.Prompt, keys.NormalizedPrompt);

    /// <remarks>
    /// A batch lookup passes the candidates it already found (<paramref name="found"/>, best first,
    /// <paramref name="foundCount"/> of them) so that it decides through this same code.
    /// </remarks>
    private async ValueTask<CacheLookupResult?> SemanticAsync(
        CacheLookupRequest request, RequestKeys keys, float[] vector, long now, CancellationToken cancellationToken, VectorHit[]? found = null, int foundCount = 0)
    {
        if (keys.Tenant is null || !_partitions.TryEnter(keys.PartitionKey, out var partition)) { return null; }
        var threshold = request.MinSimilarity ?? _options.SimilarityThreshold;
        var k = _options.MaxCandidates;
        var hits = found ?? ArrayPool<VectorHit>.Shared.Rent(k);
        try
        {
            int n;
            if (found is not null)
            {
                // A batch lookup searched already (under its own lease); this call only decides.
                _partitions.Exit(partition);
                n = foundCount;
            }
            else
            {
                try
                {
                    using (Telemetry.SemCacheTelemetry.ActivitySource.StartActivity(Telemetry.SemCacheTelemetry.SearchSpan))
                    {
                        n = partition.Index.Search(vector, hits.AsSpan(0, k));
                    }
                }
                finally
                {
                    // The lease covers the search only: candidates are then read by id from the store.
                    _partitions.Exit(partition);
                }
            }

            // With an error budget the learned model decides (SemanticCache.Budget.cs).
            if (ErrorBudgetFor(request.Tenant, request.Scope) is { } delta) { return await DecideWithBudgetAsync(request, keys, hits, n, now, delta, cancellationToken); }

            PromptAnalysis? queryAnalysis = null;
            List<string>? vetoes = null;
            var best = n > 0 ? hits[0].Similarity : 0f;

            // The nearest candidate the verifier refused on wording alone (order, near-identical
            // wording, negation, antonyms, question kind). Serving a farther candidate after it
            // means that refusal alone chose the answer, and wording rules misjudge rewrites far
            // more often than fact rules (numbers, entities, code...) misjudge facts: one false
            // veto there hands the lookup to a near copy with another answer.
            EntryMeta? refused = null;
            for (var i = 0; i < n; i++)
            {
                var hit = hits[i];
                if (hit.Similarity < threshold) { break; }
                var check = CheckCandidate(hit, request, threshold, now, ref queryAnalysis, out var meta, out var record, out var verdict);
                if (check == CandidateCheck.Skipped) { continue; }
                if (check == CandidateCheck.Vetoed)
                {
                    vetoes ??= [];
                    if (verdict is { } v)
                    {
                        if (refused is null && !v.VetoedOnFacts) { refused = meta; }

                        foreach (var r in v.Reasons)
                        {
                            vetoes.Add(r);
                            _telemetry.Vetoes.Add(1, new KeyValuePair<string, object?>("rule", r));
                        }

                        Interlocked.Increment(ref keys.Tenant.Vetoes);
                    }
                    else
                    {
                        vetoes.Add("veto:feedback");
                    }

                    continue;
                }

                List<string> reasons = [string.Create(CultureInfo.InvariantCulture, $"similarity:{hit.Similarity:0.0000}")];
                if (verdict is { } passed)
                {
                    reasons.AddRange(passed.Reasons);
                }
                else
                {
                    reasons.Add(request.Prompt is null ? "verifier:skipped-no-prompt" : VerificationResult.VerifierOff);
                }

                if (_rescorer is not null && request.Prompt is not null && hit.Similarity < threshold + _options.RescoreBand)
                {
                    var rescore = await RescoreAsync(request.Prompt, record!.Prompt, cancellationToken);
                    if (rescore is not { } score || score < _options.RescoreMinScore)
                    {
                        AddVeto(ref vetoes, keys.Tenant, rescore is null ? "veto:rescore-failed" : "veto:rescore");
                        continue;
                    }

                    reasons.Add(string.Create(CultureInfo.InvariantCulture, $"rescore:{score:0.000}"));
                }

                if ((refused is not null && AnswersDiffer(refused, record!.Response))
                    || HasRival(hits.AsSpan(i + 1, n - i - 1), threshold, hit.Similarity - _options.AmbiguityMargin, record!.Response, request, now, ref queryAnalysis))
                {
                    // Another entry with a different answer matches about as well, or was nearer
                    // and refused on wording only: the cache cannot tell which answer is meant,
                    // and a wrong answer is worse than a miss.
                    AddVeto(ref vetoes, keys.Tenant, "veto:ambiguous");
                    break;
                }

                _telemetry.HitSimilarity.Record(hit.Similarity);
                return Hit(CacheHitKind.Semantic, meta!, record!.Response, record.EarlierResponses, hit.Similarity, reasons, now);
            }

            if (n > 0) { _telemetry.NearMissSimilarity.Record(best); }
            return CacheLookupResult.Miss(best, vetoes);
        }
        finally
        {
            if (found is null) { ArrayPool<VectorHit>.Shared.Return(hits); }
        }
    }

    /// <summary>
    /// The serve decision for one candidate, before re-scoring and ambiguity: at or above the threshold
    /// plus what its feedback demands, and not refused by the verifier (null: the verifier did not run).
    /// <c>semcache calibrate</c> sweeps thresholds through this same method, so the setting it picks is
    /// judged by the rule the engine applies.
    /// </summary>
    internal static bool WouldServe(float similarity, float threshold, float thresholdBoost, VerificationResult? verdict) =>
        similarity >= threshold + thresholdBoost && verdict is not { Accepted: false };

    private enum CandidateCheck
    {
        /// <summary>Gone, expired, of another tenant, or unreadable: not a candidate at all.</summary>
        Skipped,

        /// <summary>Refused: by its feedback threshold (no verdict) or by the verifier (its verdict).</summary>
        Vetoed,

        /// <summary>Above its threshold and accepted by the verifier; the record is read.</summary>
        Accepted,
    }

    /// <summary>
    /// Everything a candidate must pass before it may be served, except re-scoring and ambiguity:
    /// servable, above the threshold its feedback demands, and accepted by the verifier (verdict
    /// null when the verifier does not run).
    /// </summary>
    private CandidateCheck CheckCandidate(
        VectorHit hit, CacheLookupRequest request, float threshold, long now, ref PromptAnalysis? queryAnalysis,
        out EntryMeta? meta, out CacheEntryRecord? record, out VerificationResult? verdict)
    {
        record = null;
        verdict = null;
        if (!_entries.TryGetValue(hit.Key, out meta) || !Servable(meta, request, now)) { return CandidateCheck.Skipped; }
        if (!WouldServe(hit.Similarity, threshold, meta.ThresholdBoost, verdict: null)) { return CandidateCheck.Vetoed; }
        if (request.Prompt is not null && _verifier.Options.Enabled)
        {
            queryAnalysis ??= PromptAnalysis.Analyze(request.Prompt);
            if (!_analyses.TryGet(meta.Id, out var candidate))
            {
                if (!TryReadRecord(meta, out var read)) { return CandidateCheck.Skipped; }
                record = read;
                candidate = PromptAnalysis.Analyze(read.Prompt);
                _analyses.Set(meta.Id, candidate);
            }

            using (Telemetry.SemCacheTelemetry.ActivitySource.StartActivity(Telemetry.SemCacheTelemetry.VerifySpan))
            {
                verdict = _verifier.Verify(queryAnalysis, candidate, hit.Similarity);
            }

            if (!WouldServe(hit.Similarity, threshold, meta.ThresholdBoost, verdict)) { return CandidateCheck.Vetoed; }
        }

        if (record is null)
        {
            if (!TryReadRecord(meta, out var read)) { return CandidateCheck.Skipped; }
            record = read;
        }

        return CandidateCheck.Accepted;
    }

    /// <summary>
    /// True when a later candidate at or above <paramref name="floor"/> would also be served and
    /// answers differently from <paramref name="response"/>.
    /// </summary>
    private bool HasRival(ReadOnlySpan<VectorHit> others, float threshold, float floor, string response, CacheLookupRequest request, long now, ref PromptAnalysis? queryAnalysis)
    {
        if (_options.AmbiguityMargin <= 0) { return false; }
        foreach (var other in others)
        {
            if (other.Similarity < floor || other.Similarity < threshold) { break; }
            if (CheckCandidate(other, request, threshold, now, ref queryAnalysis, out _, out var record, out _) == CandidateCheck.Accepted
                && !string.Equals(record!.Response, response, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the entry (read only now) answers differently from <paramref name="response"/>; an unreadable entry does not.</summary>
    private bool AnswersDiffer(EntryMeta meta, string response) =>
        _options.AmbiguityMargin > 0 && TryReadRecord(meta, out var record) && !string.Equals(record.Response, response, StringComparison.Ordinal);

    private void AddVeto(ref List<string>? vetoes, TenantState tenant, string reason)
    {
        (vetoes ??= []).Add(reason);
        _telemetry.Vetoes.Add(1, new KeyValuePair<string, object?>("rule", reason));
        Interlocked.Increment(ref tenant.Vetoes);
    }

    /// <summary>
    /// The re-scorer's verdict on one borderline candidate, or null when it failed: a failing
    /// re-scorer turns borderline candidates into misses (a wrong answer is worse than a miss)
    /// instead of failing the lookup.
    /// </summary>
    private async ValueTask<float?> RescoreAsync(string query, string candidate, CancellationToken cancellationToken)
    {
        try
        {
            var scores = await _rescorer!.ScoreAsync(query, [candidate], cancellationToken);
            return scores is [var score] && float.IsFinite(score) ? score : throw new InvalidOperationException(
                $"The candidate re-scorer returned {scores?.Length ?? 0} scores for one candidate, or a score that is not a number.");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
#pragma warning disable CA1031 // Any re-scorer failure is logged and makes the candidate a miss.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.RescoreFailed(_logger, e);
            return null;
        }
    }

    private static bool Servable(EntryMeta meta, CacheLookupRequest request, long now)
    {
        if (meta.IsExpired(now)) { return false; }
        if (request.MaxAge is { } maxAge && now - meta.CreatedTicks > maxAge.Ticks) { return false; }

        // Partition and exact keys include the tenant; this is the last line of defence.
        return string.Equals(meta.Tenant.Name, request.Tenant, StringComparison.Ordinal);
    }

    private bool TryReadRecord(EntryMeta meta, out CacheEntryRecord record)
    {
        if (_store.TryGet(meta.Id, out var r) && r is not null)
        {
            record = r;
            return true;
        }

        Unreadable(meta);
        record = null!;
        return false;
    }

    /// <summary>
    /// An entry memory knows but the store could not give back: removed concurrently (eviction,
    /// invalidation) or unreadable (a corrupt record, or one an in-memory store dropped for space).
    /// Never served, and dropped from memory too.
    /// </summary>
    private void Unreadable(EntryMeta meta)
    {
        if (_entries.ContainsKey(meta.Id))
        {
            Log.RecordMissing(_logger, meta.Id);
            _ = DropUnreadableAsync(meta.Id);
        }
    }

    private async Task DropUnreadableAsync(long id)
    {
        try
        {
            await RemoveAsync([id], RemovalReason.Evicted, CancellationToken.None);
        }
#pragma warning disable CA1031 // Best effort from the read path; the failure is logged and the entry is retried on the next read.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.MaintenanceFailed(_logger, e);
        }
    }

    private CacheLookupResult Hit(
        CacheHitKind kind, EntryMeta meta, string storedResponse, IReadOnlyList<string> earlierResponses, float similarity, IReadOnlyList<string> reasons, long now)
    {
        Interlocked.Exchange(ref meta.LastAccessTicks, now);
        var hits = Interlocked.Increment(ref meta.Hits);
        var response = storedResponse;
        if (earlierResponses.Count > 0)
        {
            var count = earlierResponses.Count + 1;
            var pick = _options.AnswerSelection switch
            {
                CacheAnswerSelection.RoundRobin => (int)((uint)(hits - 1) % (uint)count),
                CacheAnswerSelection.Newest => 0,
                _ => Random.Shared.Next(count),
            };
            response = pick == 0 ? storedResponse : earlierResponses[pick - 1];
            reasons = [.. reasons, string.Create(CultureInfo.InvariantCulture, $"answer:{pick + 1}/{count}")];
        }

        return new CacheLookupResult
        {
            Kind = kind,
            EntryId = meta.Id,
            Response = response,
            Similarity = similarity,
            Age = TimeSpan.FromTicks(Math.Max(0, now - meta.CreatedTicks)),
            Usage = meta.Usage,
            Tags = meta.Tags,
            Reasons = reasons,
        };
    }

    private void Record(TenantState? tenant, CacheLookupResult result, TimeSpan elapsed, string? model)
    {
        _telemetry.RecordLookup(result.Kind, elapsed, model);
        if (result.IsHit && result.Usage is { } usage)
        {
            _telemetry.TokensSaved.Add(usage.InputTokens + usage.OutputTokens);
            _telemetry.CostSaved.Add(usage.Cost);
        }

        if (tenant is null) { return; }
        Interlocked.Increment(ref tenant.Lookups);
        switch (result.Kind)
        {
            case CacheHitKind.Exact: Interlocked.Increment(ref tenant.ExactHits); break;
            case CacheHitKind.Semantic: Interlocked.Increment(ref tenant.SemanticHits); break;
            default: Interlocked.Increment(ref tenant.Misses); break;
        }

        if (result.IsHit && result.Usage is { } u)
        {
            Interlocked.Add(ref tenant.TokensSaved, u.InputTokens + u.OutputTokens);
            Interlocked.Add(ref tenant.CostSavedMicros, (long)Math.Round(u.Cost * 1_000_000));
        }
    }

    private async ValueTask<float[]> EmbedAsync(string text, string field, CancellationToken cancellationToken)
    {
        if (_embedder is null)
        {
            throw new ArgumentException(
                $"This cache has no embedder (RequestsBringVectors is set): the request must carry a Vector for {field}.", "Vector");
        }

        using var activity = Telemetry.SemCacheTelemetry.ActivitySource.StartActivity(Telemetry.SemCacheTelemetry.EmbedSpan);
        var embeddings = await _embedder.GenerateAsync([text], cancellationToken: cancellationToken);
        return ToUnitVector(embeddings[0].Vector.Span);
    }

    /// <summary>Checks and normalises one embedding the generator returned.</summary>
    private float[] ToUnitVector(ReadOnlySpan<float> v)
    {
        if (v.Length != _options.Dimensions)
        {
            throw new InvalidOperationException(
                $"The embedding generator returned {v.Length} dimensions but SemanticCacheOptions.Dimensions is {_options.Dimensions}.");
        }

        var normalized = new float[v.Length];
        _validator.Vector(v, normalized, "embedding");
        return normalized;
    }
}
