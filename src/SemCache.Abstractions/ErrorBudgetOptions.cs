namespace SemCache;

/// <summary>
/// The error budget: a learned serve decision that keeps the share of wrong semantic hits at or
/// below <see cref="MaxErrorRate"/> (δ). For each candidate the cache estimates the probability
/// that the cached answer is right, from its similarity and the verifier's rules (as signals whose
/// weights are learned, not as vetoes) with a model per tenant and an offset per cached entry, and
/// serves only when a one-sided confidence bound says P(wrong) ≤ δ. Labels come from
/// <see cref="ISemanticCache.ReportHitAsync"/> and from the application's own answers: after a
/// miss that had a near candidate, the answer the application stores for the prompt is compared
/// with the candidate's (<see cref="AnswerEquivalence"/>). Off by default
/// (<see cref="MaxErrorRate"/> null): the threshold and the verifier's vetoes decide.
/// </summary>
public sealed class ErrorBudgetOptions
{
    /// <summary>Largest share of wrong semantic hits allowed (0 to 1, exclusive), for every tenant; null (default) for no budget.</summary>
    public double? MaxErrorRate { get; set; }

    /// <summary>Per-tenant δ, overriding <see cref="MaxErrorRate"/> (configuration: <c>SemCache:ErrorBudget:Tenants:NAME</c>).</summary>
    public IDictionary<string, double> Tenants { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>
    /// Per-scope δ by the scope's model, overriding the tenant's and the global one
    /// (configuration: <c>SemCache:ErrorBudget:Models:NAME</c>).
    /// </summary>
    public IDictionary<string, double> Models { get; } = new Dictionary<string, double>(StringComparer.Ordinal);

    /// <summary>
    /// Largest share of a tenant's lookups answered as a miss with reason <c>explore</c> (0 to 1):
    /// a candidate the model would serve on its estimate but not yet on its bound is given up to
    /// learn from the application's fresh answer. Beyond this rate such a candidate is served on the
    /// estimate (exploitation), which can exceed δ while the model is young. Default 0.02: every
    /// miss with a candidate (a <c>veto:budget</c> too) is labelled by the next store, so the model
    /// does not need exploration to learn, and a large rate gives away as misses most of the
    /// candidates the estimate would serve (on the GPTCache-paraphrase stream at δ = 0.1: 0.2 served
    /// 80 hits, 0.02 served 149 at 2 % error). 1 never serves an uncertain candidate. Reported as
    /// <see cref="CacheStats.Explorations"/>.
    /// </summary>
    public double ExplorationRate { get; set; } = 0.02;

    /// <summary>
    /// Confidence of the one-sided bound (0.5 to 0.9999). Default 0.95: a candidate is served when
    /// P(wrong) ≤ δ holds with 95 % posterior confidence.
    /// </summary>
    public double Confidence { get; set; } = 0.95;

    /// <summary>
    /// Lowest similarity (0 to 1) at which a candidate is judged by the model and labelled from the
    /// application's next answer. Default 0.80; with a budget, <see cref="SemanticCacheOptions.SimilarityThreshold"/>
    /// is not used (the model decides), this is.
    /// </summary>
    public float MinSimilarity { get; set; } = 0.80f;

    /// <summary>
    /// When above 0, two answers that differ as text count as the same when the cosine similarity
    /// of their embeddings reaches this bar (costs two embeddings per label). Default 0: normalised
    /// text equality only (case, white space and trailing punctuation aside).
    /// </summary>
    public float AnswerSimilarity { get; set; }

    /// <summary>Decides whether a fresh answer agrees with the cached one; null uses the built-in comparison.</summary>
    public IAnswerEquivalence? AnswerEquivalence { get; set; }

    /// <summary>Labels kept (and persisted) per entry, newest kept (1 to 256). Default 16.</summary>
    public int MaxLabelsPerEntry { get; set; } = 16;

    /// <summary>
    /// Misses remembered while the cache waits for the application to store the prompt's fresh
    /// answer (the label's other half), oldest forgotten first (1 to 1,000,000). Default 4,096.
    /// </summary>
    public int MaxPendingLabels { get; set; } = 4096;
}

/// <summary>
/// Decides whether an answer the application just produced for a prompt agrees with the answer a
/// cached entry would have served, which labels that entry's model for the error budget.
/// </summary>
public interface IAnswerEquivalence
{
    /// <summary>
    /// True when <paramref name="freshAnswer"/> (the application's answer to <paramref name="prompt"/>)
    /// and <paramref name="cachedAnswer"/> say the same; null when it cannot tell (no label is recorded).
    /// </summary>
    ValueTask<bool?> AreEquivalentAsync(string prompt, string cachedAnswer, string freshAnswer, CancellationToken cancellationToken);
}
