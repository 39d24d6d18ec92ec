namespace SemCache.Vectors;

/// <summary>
/// The exact batch scorer on the CPU: each query scans every live row with the engine's dot-product
/// kernel, the same kernel, padding and tie order as <see cref="HnswGraph.ScanFlat"/>; queries run in
/// parallel on the thread pool.
/// </summary>
internal sealed unsafe class CpuBatchSimilarityScorer : IBatchSimilarityScorer
{
    public string Accelerator => "cpu";

    public long DeviceBytes => 0;

    public void Score(VectorMatrix matrix, ReadOnlySpan<float> queries, int queryCount, Span<ScoredRow> results, Span<int> counts)
    {
        var k = BatchSimilarityScorers.ValidateScore(matrix, queries, queryCount, results, counts);
        var graph = matrix.Graph;
        var rows = matrix.RowCount;
        var dims = matrix.Dimensions;

        // Spans cannot cross into the parallel body; the buffers are pinned for its duration.
        fixed (float* q = queries)
        fixed (ScoredRow* r = results)
        fixed (int* c = counts)
        {
            var qp = (nint)q;
            var rp = (nint)r;
            var cp = (nint)c;
            if (queryCount == 1)
            {
                ScoreOne(graph, rows, new ReadOnlySpan<float>(q, dims), new Span<ScoredRow>(r, k), ref c[0]);
            }
            else
            {
                Parallel.For(0, queryCount, i => ScoreOne(
                    graph,
                    rows,
                    new ReadOnlySpan<float>((float*)qp + ((long)i * dims), dims),
                    new Span<ScoredRow>((ScoredRow*)rp + ((long)i * k), k),
                    ref ((int*)cp)[i]));
            }
        }
    }

    private static void ScoreOne(HnswGraph graph, int rows, ReadOnlySpan<float> query, Span<ScoredRow> best, ref int count)
    {
        var q = SearchScratch.Current.PrepareQuery(query, graph.Stride);
        count = graph.ScoreRows(q, rows, best);
    }
}
