namespace SemCache.Vectors;

/// <summary>Bulk access to the arena for batch scorers (see <see cref="VectorMatrix"/>).</summary>
internal sealed unsafe partial class HnswGraph
{
    /// <summary>Floats per vector slot (dimensions rounded up to 16, zero padded).</summary>
    public int Stride => _stride;

    /// <summary>Copies whole padded rows starting at <paramref name="first"/>; rows must be below <see cref="NodeCount"/>.</summary>
    public void CopyRows(int first, Span<float> destination)
    {
        // The arena read after the count holds every counted row (see ScanFlat).
        var arena = _arena;
        new ReadOnlySpan<float>(arena.Vector((uint)first), destination.Length).CopyTo(destination);
        GC.KeepAlive(arena);
    }

    /// <summary>Copies the tombstone marks (1 = deleted) starting at <paramref name="first"/>.</summary>
    public void CopyRetired(int first, Span<byte> destination) =>
        _arena.Deleted.AsSpan(first, destination.Length).CopyTo(destination);

    /// <summary>
    /// The similarity of a node to a query prepared by <see cref="SearchScratch.PrepareQuery"/>, computed exactly
    /// as the flat scan computes it, so that a batch result re-scored here decides a hit on the same number.
    /// </summary>
    public float ExactSimilarity(float* paddedQuery, uint id)
    {
        var arena = _arena;
        var s = VectorKernels.Dot(paddedQuery, arena.Vector(id), _stride);
        GC.KeepAlive(arena);
        return s;
    }
}
