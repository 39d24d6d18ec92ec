using ILGPU;

namespace SemCache.Gpu;

/// <summary>
/// The two kernels of a batch similarity search, written for ILGPU (one source for CUDA and the
/// CPU accelerator):
/// <list type="number">
/// <item><see cref="ScoreTile"/>: a block of the Q x N similarity matrix as a tiled matrix product.
/// A group of T x T threads computes a (4T queries) x (4T rows) tile, 4 x 4 results per thread held
/// in registers, reading the operands from shared memory in steps of 16 dimensions; every value
/// loaded into shared memory is used 4T times. Retired rows and rows past the end score -inf.</item>
/// <item><see cref="TopKSegment"/>: one group per (query, segment of the block) selects the segment's
/// best k by k rounds of a group arg-max: each thread scans its strided share, the warp reduces by
/// shuffles, the warps' winners meet in shared memory, and the winner is knocked out (-inf).</item>
/// </list>
/// The host merges the segments' candidates; each segment's top k is exact, so the merge is too.
/// Ties go to the lower row everywhere, the order of the engine's CPU scan. The rows are read through
/// <see cref="IDeviceRows"/>, so one kernel serves float32 and float16 copies.
/// </summary>
internal static class SimilarityKernels
{
    /// <summary>Dimensions per shared-memory step; rows are padded to a multiple of 16 (see VectorMatrix.Stride).</summary>
    public const int Step = 16;

    /// <summary>Results per thread along each axis of a tile.</summary>
    public const int PerThread = 4;

    /// <summary>Floats of dynamic shared memory <see cref="ScoreTile"/> needs for groups of t x t threads.</summary>
    public static int TileSharedFloats(int t) => 2 * PerThread * t * (Step + 1);

    /// <summary>Upper bound of warps in a top-k group (the shared arrays are sized by it).</summary>
    public const int MaxWarps = 64;

    /// <summary>
    /// scores[q * blockRows + c] = dot(query q, row blockStart + c) for q &lt; queryCount and c &lt;
    /// blockRows; -inf for rows at or past rowEnd and for retired rows. Grid: (ceil(blockRows / 4T),
    /// ceil(queryCount / 4T)); group: (T, T); dynamic shared memory: <see cref="TileSharedFloats"/>.
    /// </summary>
    public static void ScoreTile<TRows>(
        ArrayView<float> queries,
        TRows rows,
        ArrayView<byte> retired,
        ArrayView<float> scores,
        int stride,
        int queryCount,
        int blockStart,
        int blockRows,
        int rowEnd)
        where TRows : struct, IDeviceRows
    {
        var t = Group.DimX;
        var tile = PerThread * t;
        var tx = Group.IdxX;
        var ty = Group.IdxY;
        var threadIndex = (ty * t) + tx;
        var threads = t * t;
        var q0 = Grid.IdxY * tile;
        var c0 = Grid.IdxX * tile;

        // Row-major [tile][Step + 1]: the extra column keeps threads of a warp on distinct banks.
        var shared = SharedMemory.GetDynamic<float>();
        var qs = shared.SubView(0, tile * (Step + 1));
        var vs = shared.SubView(tile * (Step + 1), tile * (Step + 1));

        float a00 = 0, a01 = 0, a02 = 0, a03 = 0;
        float a10 = 0, a11 = 0, a12 = 0, a13 = 0;
        float a20 = 0, a21 = 0, a22 = 0, a23 = 0;
        float a30 = 0, a31 = 0, a32 = 0, a33 = 0;

        for (var k0 = 0; k0 < stride; k0 += Step)
        {
            for (var e = threadIndex; e < tile * Step; e += threads)
            {
                var i = e / Step;
                var kk = e - (i * Step);
                var q = q0 + i;
                qs[(i * (Step + 1)) + kk] = q < queryCount ? queries[((long)q * stride) + k0 + kk] : 0f;
                var r = blockStart + c0 + i;
                vs[(i * (Step + 1)) + kk] = c0 + i < blockRows && r < rowEnd ? rows.Read(((long)r * stride) + k0 + kk) : 0f;
            }

            Group.Barrier();
            for (var kk = 0; kk < Step; kk++)
            {
                var x0 = qs[(ty * (Step + 1)) + kk];
                var x1 = qs[((ty + t) * (Step + 1)) + kk];
                var x2 = qs[((ty + (2 * t)) * (Step + 1)) + kk];
                var x3 = qs[((ty + (3 * t)) * (Step + 1)) + kk];
                var y0 = vs[(tx * (Step + 1)) + kk];
                var y1 = vs[((tx + t) * (Step + 1)) + kk];
                var y2 = vs[((tx + (2 * t)) * (Step + 1)) + kk];
                var y3 = vs[((tx + (3 * t)) * (Step + 1)) + kk];
                a00 += x0 * y0; a01 += x0 * y1; a02 += x0 * y2; a03 += x0 * y3;
                a10 += x1 * y0; a11 += x1 * y1; a12 += x1 * y2; a13 += x1 * y3;
                a20 += x2 * y0; a21 += x2 * y1; a22 += x2 * y2; a23 += x2 * y3;
                a30 += x3 * y0; a31 += x3 * y1; a32 += x3 * y2; a33 += x3 * y3;
            }

            Group.Barrier();
        }

        Store(scores, retired, queryCount, blockStart, blockRows, rowEnd, q0 + ty, c0 + tx, t, a00, a01, a02, a03);
        Store(scores, retired, queryCount, blockStart, blockRows, rowEnd, q0 + ty + t, c0 + tx, t, a10, a11, a12, a13);
        Store(scores, retired, queryCount, blockStart, blockRows, rowEnd, q0 + ty + (2 * t), c0 + tx, t, a20, a21, a22, a23);
        Store(scores, retired, queryCount, blockStart, blockRows, rowEnd, q0 + ty + (3 * t), c0 + tx, t, a30, a31, a32, a33);
    }

    private static void Store(
        ArrayView<float> scores, ArrayView<byte> retired, int queryCount, int blockStart, int blockRows, int rowEnd,
        int q, int c, int t, float s0, float s1, float s2, float s3)
    {
        if (q >= queryCount) { return; }
        var line = (long)q * blockRows;
        StoreOne(scores, retired, line, blockStart, blockRows, rowEnd, c, s0);
        StoreOne(scores, retired, line, blockStart, blockRows, rowEnd, c + t, s1);
        StoreOne(scores, retired, line, blockStart, blockRows, rowEnd, c + (2 * t), s2);
        StoreOne(scores, retired, line, blockStart, blockRows, rowEnd, c + (3 * t), s3);
    }

    private static void StoreOne(ArrayView<float> scores, ArrayView<byte> retired, long line, int blockStart, int blockRows, int rowEnd, int c, float s)
    {
        if (c >= blockRows) { return; }
        var r = blockStart + c;
        scores[line + c] = r >= rowEnd || retired[r] != 0 ? float.NegativeInfinity : s;
    }

    /// <summary>
    /// The best k columns of scores[q * blockRows + segment] for the group's query q = Grid.IdxY and
    /// segment Grid.IdxX (segmentLength columns), best first, to
    /// candidates[((q * segments) + segment) * k + r] as (column, score); column -1 when the
    /// segment has fewer than k live columns. Knocks the winners out of <paramref name="scores"/>.
    /// </summary>
    public static void TopKSegment(
        ArrayView<float> scores,
        ArrayView<int> candidateColumns,
        ArrayView<float> candidateScores,
        int blockRows,
        int segmentLength,
        int k)
    {
        var warpValues = SharedMemory.Allocate<float>(MaxWarps);
        var warpColumns = SharedMemory.Allocate<int>(MaxWarps);
        var q = Grid.IdxY;
        var segment = Grid.IdxX;
        var segments = Grid.DimX;
        var first = segment * segmentLength;
        var end = first + segmentLength < blockRows ? first + segmentLength : blockRows;
        var line = (long)q * blockRows;
        var warps = (Group.DimX + Warp.WarpSize - 1) / Warp.WarpSize;
        var outBase = (((long)q * segments) + segment) * k;

        for (var round = 0; round < k; round++)
        {
            var best = float.NegativeInfinity;
            var bestColumn = int.MaxValue;
            for (var c = first + Group.IdxX; c < end; c += Group.DimX)
            {
                var s = scores[line + c];
                if (s > best)
                {
                    best = s;
                    bestColumn = c;
                }
            }

            // Lanes scan increasing columns, so "strictly greater" already keeps each lane's lowest
            // column among equals; across lanes the tie goes to the lower column explicitly.
            for (var offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
            {
                var otherValue = Warp.ShuffleDown(best, offset);
                var otherColumn = Warp.ShuffleDown(bestColumn, offset);
                if (otherValue > best || (otherValue == best && otherColumn < bestColumn))
                {
                    best = otherValue;
                    bestColumn = otherColumn;
                }
            }

            if (Warp.LaneIdx == 0)
            {
                warpValues[Warp.WarpIdx] = best;
                warpColumns[Warp.WarpIdx] = bestColumn;
            }

            Group.Barrier();
            if (Group.IdxX == 0)
            {
                var winner = warpValues[0];
                var column = warpColumns[0];
                for (var w = 1; w < warps; w++)
                {
                    var v = warpValues[w];
                    var col = warpColumns[w];
                    if (v > winner || (v == winner && col < column))
                    {
                        winner = v;
                        column = col;
                    }
                }

                var live = winner > float.NegativeInfinity;
                candidateColumns[outBase + round] = live ? column : -1;
                candidateScores[outBase + round] = winner;
                if (live) { scores[line + column] = float.NegativeInfinity; }
            }

            Group.Barrier();
        }
    }
}

/// <summary>How the tile kernel reads a row component from a device copy (float32 or float16).</summary>
internal interface IDeviceRows
{
    float Read(long index);
}

/// <summary>A float32 copy: exact similarities.</summary>
internal readonly struct Float32Rows(ArrayView<float> view) : IDeviceRows
{
    public ArrayView<float> View { get; } = view;

    public float Read(long index) => View[index];
}

/// <summary>A float16 copy: half the memory and traffic; the host re-scores the candidates in float32.</summary>
internal readonly struct Float16Rows(ArrayView<ILGPU.Half> view) : IDeviceRows
{
    public ArrayView<ILGPU.Half> View { get; } = view;

    public float Read(long index) => (float)View[index];
}
