namespace SemCache.Vectors;

/// <summary>One row of a <see cref="VectorMatrix"/> and its similarity (dot product) to a query.</summary>
/// <param name="Row">The row index in the matrix.</param>
/// <param name="Similarity">The dot product of the unit-length query and the row.</param>
public readonly record struct ScoredRow(int Row, float Similarity);

/// <summary>
/// Scores many queries against every live row of a <see cref="VectorMatrix"/> at once and keeps
/// each query's best rows: the seam through which batch lookups use a GPU (SemCache.Gpu) or the
/// CPU. Implementations must be safe to call from several threads at once.
/// </summary>
/// <remarks>
/// The order of a query's results is fixed so that every implementation returns the same rows:
/// higher similarity first, and among equal similarities the lower row first (the order of the
/// engine's exact scan). Retired rows are never returned.
/// </remarks>
public interface IBatchSimilarityScorer
{
    /// <summary>Where the similarities are computed: <c>cpu</c>, <c>ilgpu-cuda:&lt;device&gt;</c>, <c>ilgpu-cpu</c>...</summary>
    string Accelerator { get; }

    /// <summary>Bytes this scorer currently holds on its device (resident copies of matrices and work buffers); 0 on the CPU.</summary>
    long DeviceBytes { get; }

    /// <summary>
    /// Scores <paramref name="queryCount"/> unit-length queries (row-major,
    /// <see cref="VectorMatrix.Dimensions"/> floats each) against the live rows of
    /// <paramref name="matrix"/>. Query <c>q</c>'s best <c>k = results.Length / queryCount</c> rows go to
    /// <c>results[q*k .. q*k+counts[q])</c>, best first; <c>counts[q]</c> is below k only when the
    /// matrix has fewer than k live rows.
    /// </summary>
    /// <exception cref="ArgumentException">The spans do not match <paramref name="queryCount"/> and the matrix dimensions.</exception>
    void Score(VectorMatrix matrix, ReadOnlySpan<float> queries, int queryCount, Span<ScoredRow> results, Span<int> counts);
}

/// <summary>The batch similarity scorers that ship with the engine.</summary>
public static class BatchSimilarityScorers
{
    /// <summary>
    /// The exact CPU scorer: the engine's SIMD dot-product kernel, queries spread over the cores.
    /// It is the reference every other scorer is tested against, and the default of the engine.
    /// </summary>
    public static IBatchSimilarityScorer Cpu { get; } = new CpuBatchSimilarityScorer();

    /// <summary>Checks the arguments of <see cref="IBatchSimilarityScorer.Score"/> and returns k; shared by every implementation.</summary>
    /// <exception cref="ArgumentException">The spans do not match <paramref name="queryCount"/> and the matrix dimensions.</exception>
    public static int ValidateScore(VectorMatrix matrix, ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<ScoredRow> results, ReadOnlySpan<int> counts)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfLessThan(queryCount, 1);
        if ((long)queryCount * matrix.Dimensions != queries.Length)
        {
            throw new ArgumentException($"Expected {queryCount} x {matrix.Dimensions} query floats, got {queries.Length}.", nameof(queries));
        }

        if (results.Length < queryCount || results.Length % queryCount != 0)
        {
            throw new ArgumentException($"results must hold k rows per query: a positive multiple of {queryCount}, got {results.Length}.", nameof(results));
        }

        if (counts.Length != queryCount)
        {
            throw new ArgumentException($"counts must hold one count per query ({queryCount}), got {counts.Length}.", nameof(counts));
        }

        return results.Length / queryCount;
    }
}
