namespace SemCache;

/// <summary>
/// Re-scores borderline semantic candidates with a model stronger than the embedding similarity,
/// typically a cross-encoder that reads the query and the cached prompt together. The cache calls
/// it only for candidates the verifier accepted whose similarity lies within
/// <see cref="SemanticCacheOptions.RescoreBand"/> of the threshold, and serves such a candidate
/// only when its score reaches <see cref="SemanticCacheOptions.RescoreMinScore"/>.
/// </summary>
/// <remarks>Implementations must be safe for concurrent use.</remarks>
public interface ICandidateRescorer
{
    /// <summary>
    /// Scores each candidate against <paramref name="query"/>: the probability, from 0 to 1, that
    /// both ask for the same answer. The result has one score per candidate, in their order.
    /// </summary>
    ValueTask<float[]> ScoreAsync(string query, IReadOnlyList<string> candidates, CancellationToken cancellationToken = default);
}
