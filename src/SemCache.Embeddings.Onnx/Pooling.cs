using System.Numerics.Tensors;

namespace SemCache.Embeddings.Onnx;

/// <summary>Token vectors to one sentence vector, and L2 normalisation, with TensorPrimitives.</summary>
internal static class Pooling
{
    /// <summary>
    /// Pools the first <paramref name="tokens"/> rows of <paramref name="tokenVectors"/> (row-major,
    /// <c>vector.Length</c> wide). Padding sits after the real tokens, so the attention mask is
    /// exactly those rows.
    /// </summary>
    public static void Pool(EmbeddingPooling pooling, ReadOnlySpan<float> tokenVectors, int tokens, Span<float> vector)
    {
        var dims = vector.Length;
        tokenVectors[..dims].CopyTo(vector);
        if (pooling == EmbeddingPooling.Cls)
        {
            return;
        }

        for (var t = 1; t < tokens; t++)
        {
            TensorPrimitives.Add(vector, tokenVectors.Slice(t * dims, dims), vector);
        }

        TensorPrimitives.Divide(vector, tokens, vector);
    }

    /// <summary>Scales <paramref name="vector"/> to unit length (a zero vector stays zero).</summary>
    public static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        TensorPrimitives.Divide(vector, MathF.Max(norm, 1e-12f), vector);
    }
}
