namespace SemCache.Vectors;

/// <summary>Bulk access to the arena for batch scorers (see <see cref="VectorMatrix"/>).</summary>
/// <remarks>
/// Every read pins the arena it reads (see <see cref="PinnedMemory"/>): growth frees an outgrown arena as soon as no
/// reader holds it, so an unpinned read could touch freed memory. A caller that scores a whole pass (the engine's
/// batch lookup) pins the arena once around it with <see cref="TryPin"/>; the per-call pins below then always
/// succeed, even if a rebuild retires this generation meanwhile.
/// </remarks>
internal sealed unsafe partial class HnswGraph
{
    /// <summary>Floats per vector slot (dimensions rounded up to 16, zero padded).</summary>
    public int Stride => _stride;

    /// <summary>Copies whole padded rows starting at <paramref name="first"/>; rows must be below <see cref="NodeCount"/>.</summary>
    public void CopyRows(int first, Span<float> destination)
    {
        // The arena pinned after the count was read holds every counted row (see TrySearch).
        var arena = PinForRows();
        try
        {
            new ReadOnlySpan<float>(arena.Vector((uint)first), destination.Length).CopyTo(destination);
        }
        finally
        {
            arena.Release();
        }
    }

    /// <summary>Copies the tombstone marks (1 = deleted) starting at <paramref name="first"/>.</summary>
    public void CopyRetired(int first, Span<byte> destination)
    {
        var arena = PinForRows();
        try
        {
            arena.Deleted.AsSpan(first, destination.Length).CopyTo(destination);
        }
        finally
        {
            arena.Release();
        }
    }

    /// <summary>
    /// The similarity of a node to a query prepared by <see cref="SearchScratch.PrepareQuery"/>, computed exactly
    /// as the flat scan computes it (same kernel family, same padding), so that a batch result re-scored here decides
    /// a hit on the same number.
    /// </summary>
    public float ExactSimilarity(float* paddedQuery, uint id)
    {
        var arena = PinForRows();
        try
        {
            return FlatSimilarity(arena, paddedQuery, id);
        }
        finally
        {
            arena.Release();
        }
    }

    /// <summary>
    /// Scores the first <paramref name="rows"/> nodes against a prepared query with the flat scan's kernel, keeping
    /// the best live ones in <paramref name="best"/> (higher first, the lower row among equals); returns how many.
    /// Pins the arena once for the whole pass.
    /// </summary>
    public int ScoreRows(float* paddedQuery, int rows, Span<ScoredRow> best)
    {
        var arena = PinForRows();
        try
        {
            var k = best.Length;
            var found = 0;
            var deleted = arena.Deleted;
            for (var row = 0; row < rows; row++)
            {
                if (deleted[row] != 0)
                {
                    continue;
                }

                var s = FlatSimilarity(arena, paddedQuery, (uint)row);

                // Strictly better only: among equal similarities the earlier row stays ahead (ScanFlat's order).
                if (found == k && !(s > best[k - 1].Similarity))
                {
                    continue;
                }

                var at = found < k ? found++ : k - 1;
                while (at > 0 && best[at - 1].Similarity < s)
                {
                    best[at] = best[at - 1];
                    at--;
                }

                best[at] = new ScoredRow(row, s);
            }

            return found;
        }
        finally
        {
            arena.Release();
        }
    }

    /// <summary>One row scored as the flat scan scores it: through the scorer seam, one row.</summary>
    private float FlatSimilarity(VectorArena arena, float* paddedQuery, uint id)
    {
        // Both kernel families' float32 sums do not depend on a row's position in a batch (gathered == contiguous), so
        // one row scored alone equals the same row scored inside a flat scan's chunk.
        float s;
        _scorer.DotF32(paddedQuery, arena.Vector(id), 1, _dimensions, _stride, &s);
        return s;
    }

    private VectorArena PinForRows() =>
        TryPin(out var arena) ? arena : throw new InvalidOperationException("This index generation was retired and its vectors freed.");
}
