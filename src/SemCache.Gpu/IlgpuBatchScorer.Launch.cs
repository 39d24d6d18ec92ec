using ILGPU;
using ILGPU.Runtime;
using SemCache.Vectors;

namespace SemCache.Gpu;

/// <summary>
/// One call on the device: queries go up in chunks, the rows in blocks sized by
/// <see cref="GpuScorerOptions.ScratchBytes"/>; per block the tile kernel fills the similarity block,
/// the top-k kernel leaves k candidates per segment, and the host merges them into each query's best k.
/// </summary>
internal sealed partial class IlgpuBatchScorer
{
    /// <summary>Columns one top-k group selects from: long enough to amortise k rounds, short enough for many groups per query.</summary>
    internal const int SegmentLength = 2048;

    /// <summary>Most results per query the device path selects; larger k goes to the CPU.</summary>
    internal const int MaxK = 256;

    /// <summary>Queries per launch: bounds the query and candidate buffers.</summary>
    private const int QueriesPerLaunch = 1024;

    private MemoryBuffer1D<float, Stride1D.Dense>? _queries;
    private MemoryBuffer1D<float, Stride1D.Dense>? _scores;
    private MemoryBuffer1D<int, Stride1D.Dense>? _candidateColumns;
    private MemoryBuffer1D<float, Stride1D.Dense>? _candidateScores;

    private long ScratchHeld =>
        (_queries?.LengthInBytes ?? 0) + (_scores?.LengthInBytes ?? 0) + (_candidateColumns?.LengthInBytes ?? 0) + (_candidateScores?.LengthInBytes ?? 0);

    private void Launch(DeviceCopy copy, VectorMatrix matrix, ReadOnlySpan<float> queries, int queryCount, Span<ScoredRow> results, Span<int> counts)
    {
        var k = results.Length / queryCount;

        // float16 scores are only good enough to choose candidates: the device keeps more of them
        // and the host re-scores those in float32 (see Rescore).
        var half = copy.Rows16 is not null;
        var deviceK = half ? Math.Min(MaxK, (2 * k) + 16) : k;
        var stride = matrix.Stride;
        var dims = matrix.Dimensions;
        var rows = copy.Uploaded;
        var tile = SimilarityKernels.PerThread * _tileThreads;
        // Queries per launch such that the work buffers stay within ScratchReserve: the similarity
        // block (at least one segment per query) within ScratchBytes, the padded queries within a
        // quarter of it; the candidates then take at most a quarter (k <= MaxK = SegmentLength / 8).
        var perLaunch = (int)Math.Clamp(
            Math.Min(_options.ScratchBytes / (sizeof(float) * SegmentLength), _options.ScratchBytes / (4L * sizeof(float) * stride)),
            1,
            QueriesPerLaunch);
        for (var qStart = 0; qStart < queryCount; qStart += perLaunch)
        {
            var qn = Math.Min(perLaunch, queryCount - qStart);

            // Blocks of whole segments, as many rows as the scratch bound allows for this many queries.
            var byScratch = _options.ScratchBytes / sizeof(float) / qn / SegmentLength * SegmentLength;
            var blockRows = (int)Math.Max(SegmentLength, Math.Min(byScratch, RoundUp(Math.Max(rows, 1), SegmentLength)));
            var maxSegments = (blockRows + SegmentLength - 1) / SegmentLength;
            EnsureScratch((long)qn * stride, (long)qn * blockRows, (long)qn * maxSegments * deviceK);

            var padded = new float[qn * stride];
            for (var i = 0; i < qn; i++) { queries.Slice((qStart + i) * dims, dims).CopyTo(padded.AsSpan(i * stride)); }
            ((ArrayView<float>)_queries!.View).SubView(0, padded.Length).CopyFromCPU(padded);

            var merged = half ? new ScoredRow[qn * deviceK] : results.Slice(qStart * k, qn * k);
            var mergedCounts = half ? new int[qn] : counts.Slice(qStart, qn);
            mergedCounts.Clear();
            var columns = new int[qn * maxSegments * deviceK];
            var scores = new float[columns.Length];
            for (var blockStart = 0; blockStart < rows; blockStart += blockRows)
            {
                var br = Math.Min(blockRows, rows - blockStart);
                var segments = (br + SegmentLength - 1) / SegmentLength;
                var config = new KernelConfig(
                    new Index2D((br + tile - 1) / tile, (qn + tile - 1) / tile),
                    new Index2D(_tileThreads, _tileThreads),
                    SharedMemoryConfig.RequestDynamic<float>(SimilarityKernels.TileSharedFloats(_tileThreads)));
                if (half)
                {
                    _scoreTile16(config, _queries.View, new Float16Rows(copy.Rows16!.View), copy.Retired.View, _scores!.View, stride, qn, blockStart, br, rows);
                }
                else
                {
                    _scoreTile32(config, _queries.View, new Float32Rows(copy.Rows32!.View), copy.Retired.View, _scores!.View, stride, qn, blockStart, br, rows);
                }

                _topK(
                    new KernelConfig(new Index2D(segments, qn), new Index2D(_topKThreads, 1)),
                    _scores!.View,
                    _candidateColumns!.View,
                    _candidateScores!.View,
                    br,
                    SegmentLength,
                    deviceK);
                _accelerator.Synchronize();

                var n = qn * segments * deviceK;
                ((ArrayView<int>)_candidateColumns.View).SubView(0, n).CopyToCPU(columns.AsSpan(0, n));
                ((ArrayView<float>)_candidateScores.View).SubView(0, n).CopyToCPU(scores.AsSpan(0, n));
                for (var q = 0; q < qn; q++)
                {
                    var best = merged.Slice(q * deviceK, deviceK);
                    for (var c = q * segments * deviceK; c < (q + 1) * segments * deviceK; c++)
                    {
                        if (columns[c] >= 0) { Insert(best, ref mergedCounts[q], new ScoredRow(blockStart + columns[c], scores[c])); }
                    }
                }
            }

            if (half)
            {
                Rescore(matrix, queries, qStart, qn, merged, mergedCounts, deviceK, results, counts);
            }
        }
    }

    /// <summary>Re-scores the float16 candidates of each query in float32, with the engine's kernel, and keeps the best k.</summary>
    private static unsafe void Rescore(
        VectorMatrix matrix, ReadOnlySpan<float> queries, int qStart, int qn, ReadOnlySpan<ScoredRow> candidates, ReadOnlySpan<int> candidateCounts, int deviceK, Span<ScoredRow> results, Span<int> counts)
    {
        var k = results.Length / counts.Length;
        var graph = matrix.Graph;
        var dims = matrix.Dimensions;
        for (var q = 0; q < qn; q++)
        {
            var padded = SearchScratch.Current.PrepareQuery(queries.Slice((qStart + q) * dims, dims), graph.Stride);
            var best = results.Slice((qStart + q) * k, k);
            ref var count = ref counts[qStart + q];
            count = 0;
            for (var c = 0; c < candidateCounts[q]; c++)
            {
                var row = candidates[(q * deviceK) + c].Row;
                Insert(best, ref count, new ScoredRow(row, graph.ExactSimilarity(padded, (uint)row)));
            }
        }
    }

    private static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>Keeps <paramref name="best"/> sorted: higher similarity first, the lower row among equals.</summary>
    private static void Insert(Span<ScoredRow> best, ref int count, ScoredRow candidate)
    {
        var k = best.Length;
        if (count == k && !Better(candidate, best[k - 1])) { return; }
        var at = count < k ? count++ : k - 1;
        while (at > 0 && Better(candidate, best[at - 1]))
        {
            best[at] = best[at - 1];
            at--;
        }

        best[at] = candidate;
    }

    private static bool Better(ScoredRow a, ScoredRow b) => a.Similarity > b.Similarity || (a.Similarity == b.Similarity && a.Row < b.Row);

    /// <summary>Grows the work buffers to at least the given lengths (they never shrink while in use).</summary>
    private void EnsureScratch(long queryFloats, long scoreFloats, long candidates)
    {
        if ((_queries?.Length ?? 0) < queryFloats)
        {
            _queries?.Dispose();
            _queries = _accelerator.Allocate1D<float>(queryFloats);
        }

        if ((_scores?.Length ?? 0) < scoreFloats)
        {
            _scores?.Dispose();
            _scores = _accelerator.Allocate1D<float>(scoreFloats);
        }

        if ((_candidateColumns?.Length ?? 0) < candidates)
        {
            _candidateColumns?.Dispose();
            _candidateScores?.Dispose();
            _candidateColumns = _accelerator.Allocate1D<int>(candidates);
            _candidateScores = _accelerator.Allocate1D<float>(candidates);
        }
    }

    private void FreeScratch()
    {
        _queries?.Dispose();
        _scores?.Dispose();
        _candidateColumns?.Dispose();
        _candidateScores?.Dispose();
        _queries = _scores = _candidateScores = null;
        _candidateColumns = null;
    }
}
