using Microsoft.ML.OnnxRuntime.Tensors;

namespace SemCache.Embeddings.Onnx.CrossEncoding;

/// <summary>How a cross-encoder's output becomes one probability per pair.</summary>
internal enum ScoreHeadKind
{
    /// <summary>The output's shape is not declared; it is checked on every run.</summary>
    Undeclared = 0,

    /// <summary>One logit per pair, [N] or [N,1]: the probability is its sigmoid.</summary>
    Logit = 1,

    /// <summary>Two-class logits, [N,2]: the probability is the softmax of class 1.</summary>
    TwoClass = 2,
}

/// <summary>Checks the output shape (declared at load, actual at run) and turns logits into probabilities.</summary>
internal static class ScoreHead
{
    private const string Expected = "expected [N] or [N,1] (one logit per pair) or [N,2] (two-class logits)";

    /// <summary>What the model's declared output promises; throws when it cannot be a score.</summary>
    public static ScoreHeadKind FromDeclared(string name, TensorElementType elementType, ReadOnlySpan<int> dimensions)
    {
        if (elementType != TensorElementType.Float)
        {
            throw new InvalidOperationException($"The cross-encoder's first output '{name}' is {elementType}; it must be float32 logits.");
        }

        return dimensions.Length switch
        {
            // Without a declared shape ONNX Runtime reports none; the first run decides.
            0 => ScoreHeadKind.Undeclared,
            1 => ScoreHeadKind.Logit,
            2 when dimensions[1] == 1 => ScoreHeadKind.Logit,
            2 when dimensions[1] == 2 => ScoreHeadKind.TwoClass,
            2 when dimensions[1] < 0 => ScoreHeadKind.Undeclared,
            _ => throw new InvalidOperationException(
                $"The cross-encoder's first output '{name}' has shape {Format(dimensions)}; {Expected}."),
        };
    }

    /// <summary>Writes the probability of each of <paramref name="rows"/> pairs to <paramref name="scores"/>.</summary>
    public static void ToProbabilities(string name, ReadOnlySpan<long> shape, ReadOnlySpan<float> logits, int rows, Span<float> scores)
    {
        var kind = shape switch
        {
            [var n] when n == rows => ScoreHeadKind.Logit,
            [var n, 1] when n == rows => ScoreHeadKind.Logit,
            [var n, 2] when n == rows => ScoreHeadKind.TwoClass,
            _ => throw new InvalidOperationException(
                $"The cross-encoder's first output '{name}' has shape {Format(shape)} for {rows} pairs; {Expected}."),
        };

        if (kind == ScoreHeadKind.Logit)
        {
            for (var i = 0; i < rows; i++)
            {
                scores[i] = Sigmoid(logits[i]);
            }
        }
        else
        {
            // softmax([a, b])[1] = 1 / (1 + e^(a - b)) = sigmoid(b - a), without overflow for large logits.
            for (var i = 0; i < rows; i++)
            {
                scores[i] = Sigmoid(logits[(2 * i) + 1] - logits[2 * i]);
            }
        }
    }

    private static float Sigmoid(float logit) => (float)(1.0 / (1.0 + Math.Exp(-(double)logit)));

    private static string Format<T>(ReadOnlySpan<T> dimensions) => "[" + string.Join(",", dimensions.ToArray()) + "]";
}
