using System.Globalization;
using System.Numerics.Tensors;
using SemCache.Budget;
using SemCache.Storage;
using SemCache.Vectors;
using SemCache.Verification;

namespace SemCache.Engine;

/// <summary>
/// The error budget (<see cref="ErrorBudgetOptions"/>): the learned serve decision, the labels it
/// learns from (hit feedback; a miss's candidate compared with the answer the application then
/// stores), and their persistence with the entry.
/// </summary>
internal sealed partial class SemanticCache
{
    /// <summary>Reason of a miss given up to learn (the model's estimate would serve, its bound not yet).</summary>
    internal const string ExploreReason = "explore";

    /// <summary>Reason of a candidate the model refuses: its estimate of P(wrong) is above δ.</summary>
    internal const string BudgetVeto = "veto:budget";

    private PendingLabels? _pendingLabels;

    private PendingLabels Pending => LazyInitializer.EnsureInitialized(ref _pendingLabels, () => new PendingLabels(_options.ErrorBudget.MaxPendingLabels));

    /// <summary>Misses waiting for a fresh answer (tests: bounded by MaxPendingLabels).</summary>
    internal int PendingLabelCount => _pendingLabels?.Count ?? 0;

    /// <summary>Labels an entry holds (tests: bounded by MaxLabelsPerEntry); 0 for an unknown entry.</summary>
    internal int LabelCountOf(long id) => _entries.TryGetValue(id, out var meta) ? Volatile.Read(ref meta.Budget)?.Count ?? 0 : 0;

    /// <summary>δ for a lookup: the scope's model's, else the tenant's, else the global one; null when no budget applies.</summary>
    private double? ErrorBudgetFor(string tenant, CacheScope? scope)
    {
        var budget = _options.ErrorBudget;
        if (scope?.Model is { } model && budget.Models.TryGetValue(model, out var byModel)) { return byModel; }
        if (budget.Tenants.TryGetValue(tenant, out var byTenant)) { return byTenant; }
        return budget.MaxErrorRate;
    }

    /// <summary>True when any tenant or scope can have an error budget.</summary>
    private bool BudgetConfigured =>
        _options.ErrorBudget.MaxErrorRate is not null || _options.ErrorBudget.Tenants.Count > 0 || _options.ErrorBudget.Models.Count > 0;

    /// <summary>
    /// What an entry is charged (against MaxBytes and MaxBytesPerTenant) for its error-budget state:
    /// when a budget can apply, or the record carries labels (which rebuild that state), every entry
    /// is charged up front for a full set of labels in its record and its <see cref="EntryBudget"/> in
    /// memory. Charged when the entry is added, not when its first label comes: the charge is then
    /// fixed for the entry's life (a label never changes what a removal must give back, and eviction
    /// after each store already sees it); the price is that entries a budget never judges pay it too
    /// (on the high side, like <see cref="Eviction.EntryCost"/>).
    /// </summary>
    private long BudgetBytesOf(CacheEntryRecord record) =>
        BudgetConfigured || record.Labels.Count > 0 ? EntryBudget.ChargedBytes(_options.ErrorBudget.MaxLabelsPerEntry) : 0;

    /// <summary>Bytes charged for entry <paramref name="id"/> (tests); 0 for an unknown entry.</summary>
    internal long ChargedBytesOf(long id) => _entries.TryGetValue(id, out var meta) ? meta.Size : 0;

    /// <summary>Labels the tenant's model has learned (tests); 0 for a tenant without one.</summary>
    internal long ModelLabelsOf(string tenant) => _tenants.TryGetValue(tenant, out var state) ? Volatile.Read(ref state.BudgetModel)?.Labels ?? 0 : 0;

    private static BudgetModel ModelOf(TenantState tenant)
    {
        var model = Volatile.Read(ref tenant.BudgetModel);
        if (model is not null) { return model; }
        Interlocked.CompareExchange(ref tenant.BudgetModel, new BudgetModel(), null);
        return tenant.BudgetModel!;
    }

    private EntryBudget BudgetOf(EntryMeta meta)
    {
        var budget = Volatile.Read(ref meta.Budget);
        if (budget is not null) { return budget; }
        Interlocked.CompareExchange(ref meta.Budget, new EntryBudget(_options.ErrorBudget.MaxLabelsPerEntry), null);
        return meta.Budget!;
    }

    /// <summary>
    /// The serve decision under an error budget δ, on the candidates the search found (best first).
    /// The nearest servable candidate at or above <see cref="ErrorBudgetOptions.MinSimilarity"/> is
    /// judged: the verifier's rules are signals of the model, not vetoes. Served when the lower
    /// confidence bound of P(correct) reaches 1 - δ (and no rival with another answer is as close:
    /// the ambiguity check stays); else, when the estimate alone would serve, a miss with reason
    /// <c>explore</c> while the tenant's exploration rate allows (served on the estimate beyond it);
    /// else a miss with <c>veto:budget</c>. Every miss with a candidate waits for the prompt's fresh
    /// answer to label that candidate.
    /// </summary>
    /// <remarks>
    /// With an <see cref="ICandidateRescorer"/> the judged candidate's score is a feature of the model
    /// (not a veto: <see cref="SemanticCacheOptions.RescoreMinScore"/> does not apply under a budget).
    /// Its cost is bounded: at most one pair per lookup (the one candidate judged, never its rivals),
    /// only for a candidate at or above <see cref="ErrorBudgetOptions.MinSimilarity"/> (the band the
    /// budget judges and labels in) and not refused as ambiguous first. A failing re-scorer gives no
    /// score: the candidate is judged without it (neutral), as a label without a score is learned.
    /// </remarks>
    private async ValueTask<CacheLookupResult> DecideWithBudgetAsync(
        CacheLookupRequest request, RequestKeys keys, VectorHit[] hits, int n, long now, double delta, CancellationToken cancellationToken)
    {
        var tenant = keys.Tenant!;
        var budget = _options.ErrorBudget;
        var best = n > 0 ? hits[0].Similarity : 0f;
        PromptAnalysis? queryAnalysis = null;
        for (var i = 0; i < n; i++)
        {
            var hit = hits[i];
            if (hit.Similarity < budget.MinSimilarity) { break; }
            if (!_entries.TryGetValue(hit.Key, out var meta) || !Servable(meta, request, now)) { continue; }
            if (!TryReadRecord(meta, out var record)) { continue; }

            ushort vetoes = 0;
            IReadOnlyList<string> signals = [request.Prompt is null ? "verifier:skipped-no-prompt" : VerificationResult.VerifierOff];
            if (request.Prompt is not null && _verifier.Options.Enabled)
            {
                queryAnalysis ??= PromptAnalysis.Analyze(request.Prompt);
                if (!_analyses.TryGet(meta.Id, out var candidate))
                {
                    candidate = PromptAnalysis.Analyze(record.Prompt);
                    _analyses.Set(meta.Id, candidate);
                }

                var verdict = _verifier.Verify(queryAnalysis, candidate, hit.Similarity);
                vetoes = (ushort)verdict.Vetoes;
                signals = verdict.Reasons;
            }

            var entry = Volatile.Read(ref meta.Budget);
            var gap = hit.Similarity - (i + 1 < n ? Math.Max(hits[i + 1].Similarity, budget.MinSimilarity) : budget.MinSimilarity);
            var rival = HasRival(hits.AsSpan(i + 1, n - i - 1), hit.Similarity - _options.AmbiguityMargin, hit.Similarity - _options.AmbiguityMargin, record.Response, request, now, ref queryAnalysis);
            if (rival)
            {
                Interlocked.Increment(ref tenant.Vetoes);
                return Wait(keys, meta, new BudgetLabel(hit.Similarity, vetoes, Correct: true, gap), CacheLookupResult.Miss(best, ["veto:ambiguous"]));
            }

            var score = float.NaN;
            if (_rescorer is not null && request.Prompt is not null)
            {
                score = await RescoreAsync(request.Prompt, record.Prompt, cancellationToken) ?? float.NaN;
                signals = [.. signals, float.IsFinite(score) ? string.Create(CultureInfo.InvariantCulture, $"rescore:{score:0.000}") : "rescore:failed"];
            }

            var (mean, lower) = ModelOf(tenant).Predict(hit.Similarity, vetoes, gap, entry, BudgetModel.NormalQuantile(budget.Confidence), score);
            var label = new BudgetLabel(hit.Similarity, vetoes, Correct: true, gap, score);
            var exploit = false;
            if (1 - lower > delta)
            {
                if (1 - mean > delta)
                {
                    Interlocked.Increment(ref tenant.Vetoes);
                    _telemetry.Vetoes.Add(1, new KeyValuePair<string, object?>("rule", BudgetVeto));
                    return Wait(keys, meta, label, CacheLookupResult.Miss(best, [BudgetVeto, .. signals]));
                }

                if (Interlocked.Read(ref tenant.Explorations) < budget.ExplorationRate * (Interlocked.Read(ref tenant.Lookups) + 1))
                {
                    Interlocked.Increment(ref tenant.Explorations);
                    return Wait(keys, meta, label, CacheLookupResult.Miss(best, [ExploreReason, .. signals]));
                }

                exploit = true;
            }

            BudgetOf(meta).LastServed = label;
            List<string> reasons =
            [
                string.Create(CultureInfo.InvariantCulture, $"similarity:{hit.Similarity:0.0000}"),
                string.Create(CultureInfo.InvariantCulture, $"budget:p_wrong<={(exploit ? 1 - mean : 1 - lower):0.0000}"),
            ];
            if (exploit) { reasons.Add("budget:exploit"); }
            foreach (var s in signals) { reasons.Add(s.StartsWith("veto:", StringComparison.Ordinal) ? "signal:" + s["veto:".Length..] : s); }
            _telemetry.HitSimilarity.Record(hit.Similarity);
            return Hit(CacheHitKind.Semantic, meta, record.Response, record.EarlierResponses, hit.Similarity, reasons, now);
        }

        if (n > 0) { _telemetry.NearMissSimilarity.Record(best); }
        return CacheLookupResult.Miss(best);
    }

    /// <summary>A miss with a candidate: remembered until the prompt's fresh answer is stored (exact lookups only have a key).</summary>
    private CacheLookupResult Wait(RequestKeys keys, EntryMeta candidate, BudgetLabel label, CacheLookupResult miss)
    {
        if (keys.ExactKey is { } exact)
        {
            Pending.Add(exact.Key128, new PendingLabel(keys.TenantName, candidate.Id, label.Similarity, label.Vetoes, label.Gap, label.Score));
        }

        return miss;
    }

    /// <summary>
    /// After a store: when the prompt's last lookup was a miss with a candidate, the fresh answer
    /// labels that candidate (same answer: it would have been right). Runs after the store's own
    /// stripe is released: persisting the label takes the candidate's stripe.
    /// </summary>
    /// <remarks>
    /// The store has succeeded when this runs: a failing comparison (a throwing <see cref="IAnswerEquivalence"/>,
    /// a failing embedder) or a failing label write is logged and costs only the label, never the store.
    /// </remarks>
    private async ValueTask LabelFromStoreAsync(RequestKeys keys, string prompt, string freshAnswer, CancellationToken cancellationToken)
    {
        if (_pendingLabels is null || keys.ExactKey is not { } exact || !_pendingLabels.TryTake(exact.Key128, out var pending)) { return; }
        try
        {
            await LabelAsync(keys, pending, prompt, freshAnswer, cancellationToken);
        }
#pragma warning disable CA1031 // A label is best effort once the store it follows has succeeded; the failure is logged.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.MaintenanceFailed(_logger, e);
        }
    }

    private async ValueTask LabelAsync(RequestKeys keys, PendingLabel pending, string prompt, string freshAnswer, CancellationToken cancellationToken)
    {
        if (!string.Equals(pending.Tenant, keys.TenantName, StringComparison.Ordinal)
            || !_entries.TryGetValue(pending.CandidateId, out var meta) || !ReferenceEquals(meta.Tenant, keys.Tenant)
            || !TryReadRecord(meta, out var record))
        {
            return;
        }

        var same = await AnswersAgreeAsync(prompt, record.Response, freshAnswer, cancellationToken);
        if (same is not { } correct) { return; }
        await LearnAsync(meta, new BudgetLabel(pending.Similarity, pending.Vetoes, correct, pending.Gap, pending.Score), cancellationToken);
    }

    /// <summary>The configured comparison, else normalised text equality, else (when configured) answer-embedding similarity.</summary>
    private async ValueTask<bool?> AnswersAgreeAsync(string prompt, string cached, string fresh, CancellationToken cancellationToken)
    {
        var budget = _options.ErrorBudget;
        if (budget.AnswerEquivalence is { } custom) { return await custom.AreEquivalentAsync(prompt, cached, fresh, cancellationToken); }
        if (string.Equals(NormalizeAnswer(cached), NormalizeAnswer(fresh), StringComparison.Ordinal)) { return true; }
        if (budget.AnswerSimilarity <= 0 || _embedder is null) { return false; }
        var a = await EmbedAsync(cached, "Response", cancellationToken);
        var b = await EmbedAsync(fresh, "Response", cancellationToken);
        return TensorPrimitives.Dot(a, b) >= budget.AnswerSimilarity;
    }

    /// <summary>Case, runs of white space and trailing punctuation aside.</summary>
    internal static string NormalizeAnswer(string answer)
    {
        var normalized = ScopeKeys.NormalizePrompt(answer).Trim().TrimEnd('.', '!', '?', ' ', '。');
        return normalized.ToLowerInvariant();
    }

    /// <summary>Learns one label: the tenant's model, the entry's offset and labels; then persists the entry's labels.</summary>
    private async ValueTask LearnAsync(EntryMeta meta, BudgetLabel label, CancellationToken cancellationToken)
    {
        var entry = BudgetOf(meta);
        ModelOf(meta.Tenant).Learn(label, entry);
        entry.Add(label);
        Interlocked.Increment(ref meta.Tenant.BudgetLabels);
        await PersistLabelsAsync(meta, entry, cancellationToken);
    }

    /// <summary>
    /// Rewrites the entry's record with its labels, under the store stripe of its prompt so that no
    /// store of the same prompt (which would replace it) interleaves; an entry removed meanwhile is
    /// deleted again, so the rewrite never brings a removed entry back.
    /// </summary>
    private async ValueTask PersistLabelsAsync(EntryMeta meta, EntryBudget entry, CancellationToken cancellationToken)
    {
        if (!TryReadRecord(meta, out var record)) { return; }
        var stripe = _storeStripes[(int)(Key128(record.ExactKey) % StoreStripes)];
        await stripe.WaitAsync(cancellationToken);
        try
        {
            if (!_entries.ContainsKey(meta.Id) || !_store.TryGetExact(record.ExactKey, out var current) || current != meta.Id) { return; }
            await _store.PutAsync(record.WithLabels(entry.Labels()), CancellationToken.None);
            if (!_entries.ContainsKey(meta.Id)) { await _store.DeleteAsync(meta.Id, CancellationToken.None); }
        }
        finally
        {
            stripe.Release();
        }
    }

    /// <summary>Hit feedback on an entry served under a budget labels it at the similarity and signals it was served with.</summary>
    private async ValueTask LearnFeedbackAsync(EntryMeta meta, bool correct, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref meta.Budget)?.LastServed is not { } served) { return; }
        await LearnAsync(meta, served with { Correct = correct }, cancellationToken);
    }

    /// <summary>At recovery: an entry's persisted labels teach its tenant's model and its own offset again.</summary>
    private void RestoreLabels(EntryMeta meta, IReadOnlyList<BudgetLabel> labels)
    {
        var entry = BudgetOf(meta);
        var model = ModelOf(meta.Tenant);
        foreach (var label in labels.TakeLast(_options.ErrorBudget.MaxLabelsPerEntry))
        {
            model.Learn(label, entry);
            entry.Add(label);
        }
    }
}
