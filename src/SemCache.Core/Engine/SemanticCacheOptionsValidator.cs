using Microsoft.Extensions.Options;

namespace SemCache.Engine;

/// <summary>Checks <see cref="SemanticCacheOptions"/>; every failure names the option.</summary>
internal sealed class SemanticCacheOptionsValidator : IValidateOptions<SemanticCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, SemanticCacheOptions options)
    {
        var failures = Failures(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static void ThrowIfInvalid(SemanticCacheOptions options)
    {
        var failures = Failures(options).ToList();
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(SemanticCacheOptions), typeof(SemanticCacheOptions), failures);
        }
    }

    private static IEnumerable<string> Failures(SemanticCacheOptions o)
    {
        const string P = nameof(SemanticCacheOptions) + ".";
        if (o.Durability != CacheDurability.InMemory && string.IsNullOrWhiteSpace(o.DataDirectory))
        {
            yield return P + nameof(o.DataDirectory) + " is required unless Durability is InMemory.";
        }

        if (!Enum.IsDefined(o.Durability)) { yield return P + nameof(o.Durability) + $" has the unknown value {o.Durability}."; }
        if (!Enum.IsDefined(o.EvictionPolicy)) { yield return P + nameof(o.EvictionPolicy) + $" has the unknown value {o.EvictionPolicy}."; }
        if (o.CheckpointInterval < TimeSpan.FromMilliseconds(100) || o.CheckpointInterval > TimeSpan.FromDays(1))
        {
            yield return P + nameof(o.CheckpointInterval) + $" must be from 100 ms to 1 day (was {o.CheckpointInterval}).";
        }

        if (o.Dimensions is < 1 or > 8192) { yield return P + nameof(o.Dimensions) + $" must be from 1 to 8192 (was {o.Dimensions})."; }
        if (!float.IsFinite(o.SimilarityThreshold) || o.SimilarityThreshold is < 0 or > 1)
        {
            yield return P + nameof(o.SimilarityThreshold) + $" must be from 0 to 1 (was {o.SimilarityThreshold}).";
        }

        if (!float.IsFinite(o.AmbiguityMargin) || o.AmbiguityMargin is < 0 or > 1)
        {
            yield return P + nameof(o.AmbiguityMargin) + $" must be from 0 to 1 (was {o.AmbiguityMargin}).";
        }

        if (!float.IsFinite(o.RescoreBand) || o.RescoreBand is < 0 or > 1)
        {
            yield return P + nameof(o.RescoreBand) + $" must be from 0 to 1 (was {o.RescoreBand}).";
        }

        if (!float.IsFinite(o.RescoreMinScore) || o.RescoreMinScore is < 0 or > 1)
        {
            yield return P + nameof(o.RescoreMinScore) + $" must be from 0 to 1 (was {o.RescoreMinScore}).";
        }

        if (o.MaxAnswersPerPrompt is < 1 or > 64) { yield return P + nameof(o.MaxAnswersPerPrompt) + $" must be from 1 to 64 (was {o.MaxAnswersPerPrompt})."; }
        if (!Enum.IsDefined(o.AnswerSelection)) { yield return P + nameof(o.AnswerSelection) + $" has the unknown value {o.AnswerSelection}."; }
        if (o.MaxCandidates is < 1 or > 256) { yield return P + nameof(o.MaxCandidates) + $" must be from 1 to 256 (was {o.MaxCandidates})."; }
        if (o.FlatSearchLimit is < 0 or > 1_000_000) { yield return P + nameof(o.FlatSearchLimit) + $" must be from 0 to 1,000,000 (was {o.FlatSearchLimit})."; }
        if (o.HnswM is < 2 or > 128) { yield return P + nameof(o.HnswM) + $" must be from 2 to 128 (was {o.HnswM})."; }
        if (o.HnswEfConstruction < o.HnswM || o.HnswEfConstruction > 4096)
        {
            yield return P + nameof(o.HnswEfConstruction) + $" must be from HnswM ({o.HnswM}) to 4096 (was {o.HnswEfConstruction}).";
        }

        if (o.HnswEfSearch < o.MaxCandidates || o.HnswEfSearch > 4096)
        {
            yield return P + nameof(o.HnswEfSearch) + $" must be from MaxCandidates ({o.MaxCandidates}) to 4096 (was {o.HnswEfSearch}).";
        }

        if (!Enum.IsDefined(o.VectorEncoding)) { yield return P + nameof(o.VectorEncoding) + $" has the unknown value {o.VectorEncoding}."; }
        if (o.ContextWindow is < 0 or > 256) { yield return P + nameof(o.ContextWindow) + $" must be from 0 to 256 (was {o.ContextWindow})."; }
        if (o.MaxTimeToLive <= TimeSpan.Zero) { yield return P + nameof(o.MaxTimeToLive) + " must be positive."; }
        if (o.DefaultTimeToLive is { } ttl && (ttl <= TimeSpan.Zero || ttl > o.MaxTimeToLive))
        {
            yield return P + nameof(o.DefaultTimeToLive) + $" must be positive and at most MaxTimeToLive (was {ttl}).";
        }

        if (o.MaxEntries < 0) { yield return P + nameof(o.MaxEntries) + " must not be negative (0 means no limit)."; }
        if (o.MaxBytes < 0) { yield return P + nameof(o.MaxBytes) + " must not be negative (0 means no limit)."; }
        if (o.MaxEntriesPerTenant < 0) { yield return P + nameof(o.MaxEntriesPerTenant) + " must not be negative (0 means no limit)."; }
        if (o.MaxBytesPerTenant < 0) { yield return P + nameof(o.MaxBytesPerTenant) + " must not be negative (0 means no limit)."; }
        if (o.MaxPromptLength is < 1 or > 16 * 1024 * 1024) { yield return P + nameof(o.MaxPromptLength) + $" must be from 1 to 16,777,216 (was {o.MaxPromptLength})."; }
        if (o.MaxResponseLength is < 1 or > 64 * 1024 * 1024) { yield return P + nameof(o.MaxResponseLength) + $" must be from 1 to 67,108,864 (was {o.MaxResponseLength})."; }
        if (o.MaxTags is < 0 or > 1024) { yield return P + nameof(o.MaxTags) + $" must be from 0 to 1024 (was {o.MaxTags})."; }
        foreach (var failure in Accounting.AccountingOptions.Failures(o)) { yield return failure; }
        foreach (var failure in ErrorBudgetFailures(o.ErrorBudget)) { yield return failure; }
    }

    private static IEnumerable<string> ErrorBudgetFailures(ErrorBudgetOptions b)
    {
        const string P = nameof(SemanticCacheOptions) + "." + nameof(SemanticCacheOptions.ErrorBudget) + ".";
        static bool Rate(double d) => double.IsFinite(d) && d is > 0 and < 1;
        if (b.MaxErrorRate is { } delta && !Rate(delta)) { yield return P + nameof(b.MaxErrorRate) + $" must be above 0 and below 1 (was {delta})."; }
        foreach (var (name, d) in b.Tenants)
        {
            if (!Rate(d)) { yield return P + nameof(b.Tenants) + $"[{name}] must be above 0 and below 1 (was {d})."; }
        }

        foreach (var (name, d) in b.Models)
        {
            if (!Rate(d)) { yield return P + nameof(b.Models) + $"[{name}] must be above 0 and below 1 (was {d})."; }
        }

        if (!double.IsFinite(b.ExplorationRate) || b.ExplorationRate is < 0 or > 1) { yield return P + nameof(b.ExplorationRate) + $" must be from 0 to 1 (was {b.ExplorationRate})."; }
        if (!double.IsFinite(b.Confidence) || b.Confidence is < 0.5 or > 0.9999) { yield return P + nameof(b.Confidence) + $" must be from 0.5 to 0.9999 (was {b.Confidence})."; }
        if (!float.IsFinite(b.MinSimilarity) || b.MinSimilarity is < 0 or > 1) { yield return P + nameof(b.MinSimilarity) + $" must be from 0 to 1 (was {b.MinSimilarity})."; }
        if (!float.IsFinite(b.AnswerSimilarity) || b.AnswerSimilarity is < 0 or > 1) { yield return P + nameof(b.AnswerSimilarity) + $" must be from 0 to 1 (was {b.AnswerSimilarity})."; }
        if (b.MaxLabelsPerEntry is < 1 or > 256) { yield return P + nameof(b.MaxLabelsPerEntry) + $" must be from 1 to 256 (was {b.MaxLabelsPerEntry})."; }
        if (b.MaxPendingLabels is < 1 or > 1_000_000) { yield return P + nameof(b.MaxPendingLabels) + $" must be from 1 to 1,000,000 (was {b.MaxPendingLabels})."; }
    }
}
