using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using SemCache.Vectors.Quantization;

namespace SemCache.Vectors;

/// <summary>
/// The encoding-specific half of a graph search: how a gathered batch of node ids is scored against the current query.
/// Each is a struct passed by reference to the one generic search loop (HnswGraph.Search.cs), so the JIT compiles a
/// specialised copy of the loop per encoding with the scoring inlined, and no encoding has a loop of its own.
/// </summary>
internal sealed unsafe partial class HnswGraph
{
    /// <summary>Exact float32 similarity of two padded vectors with the managed kernel (what links are built with).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Sim(float* x, float* y) => VectorKernels.Dot(x, y, _stride);

    /// <summary>Scores a gathered batch of node ids against the current query (higher is more similar).</summary>
    private interface IBatchSimilarity
    {
        /// <summary>Writes the similarity of node <c>ids[i]</c> to <c>similarities[i]</c> for i &lt; <paramref name="count"/>.</summary>
        void Score(uint* ids, int count, float* similarities);

        /// <summary>Starts loading a node's row while the rest of its batch is gathered.</summary>
        void Prefetch(uint id);
    }

    /// <summary>
    /// Exact float32 with the managed kernel, inlined: what links are built with (whatever the kernels, over the padded
    /// <c>stride</c>), and the search of a float32 graph when the managed kernels serve (over <c>dims</c>, as the managed
    /// scorer and so the flat scan and <see cref="ExactSimilarity"/> compute it).
    /// </summary>
    private readonly struct ManagedFloat32(float* query, float* vectors, int dims, int stride) : IBatchSimilarity
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Score(uint* ids, int count, float* similarities)
        {
            var s = (nuint)stride;
            for (var i = 0; i < count; i++)
            {
                similarities[i] = VectorKernels.Dot(query, vectors + ((nuint)ids[i] * s), dims);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(uint id)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(vectors + ((nuint)id * (nuint)stride));
            }
        }
    }

    /// <summary>Exact float32 through the scorer seam (the native gathered kernel: one call per batch).</summary>
    private readonly struct Float32Batch(IVectorScorer scorer, float* query, float* vectors, int dims, int stride) : IBatchSimilarity
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Score(uint* ids, int count, float* similarities) => scorer.DotF32(query, vectors, ids, count, dims, stride, similarities);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(uint id)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(vectors + ((nuint)id * (nuint)stride));
            }
        }
    }

    /// <summary>Int8 codes: an exact int32 dot product mapped back to a cosine estimate (see <see cref="Int8Quantizer"/>).</summary>
    private readonly struct Int8Batch(IVectorScorer scorer, sbyte* query, sbyte* codes, int dims, int codeBytes, float factor, float offset) : IBatchSimilarity
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Score(uint* ids, int count, float* similarities)
        {
            var raw = (int*)similarities;
            scorer.DotI8(query, codes, ids, count, dims, codeBytes, raw);
            for (var i = 0; i < count; i++)
            {
                similarities[i] = offset + (factor * raw[i]);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(uint id)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(codes + ((nuint)id * (nuint)codeBytes));
            }
        }
    }

    /// <summary>Sign bits: a Hamming distance mapped to a similarity estimate (see <see cref="BinaryQuantizer"/>).</summary>
    private readonly struct BinaryBatch(IVectorScorer scorer, BinaryQuantizer quantizer, ulong* query, ulong* codes, int words) : IBatchSimilarity
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Score(uint* ids, int count, float* similarities)
        {
            var raw = (int*)similarities;
            scorer.Hamming(query, codes, ids, count, words, words, raw);
            for (var i = 0; i < count; i++)
            {
                similarities[i] = quantizer.Similarity(raw[i]);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Prefetch(uint id)
        {
            if (Sse.IsSupported)
            {
                Sse.Prefetch0(codes + ((nuint)id * (nuint)words));
            }
        }
    }

    /// <summary>Per-thread, 64-byte-aligned buffer for the encoded query.</summary>
    private static class EncodedQuery
    {
        [ThreadStatic]
        private static byte[]? t_buffer;

        [ThreadStatic]
        private static int t_offset;

        public static byte* Buffer(int bytes)
        {
            if (t_buffer is null || t_buffer.Length < bytes + 64)
            {
                // Pinned so the aligned offset stays valid for the life of the thread.
                t_buffer = GC.AllocateArray<byte>(bytes + 64, pinned: true);
                fixed (byte* p = t_buffer)
                {
                    t_offset = (int)((64 - ((nuint)p & 63)) & 63);
                }
            }

            fixed (byte* p = &t_buffer[t_offset])
            {
                return p;
            }
        }
    }
}
