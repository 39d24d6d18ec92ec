namespace SemCache.Embeddings.Onnx;

/// <summary>What the encoder reports about one input.</summary>
/// <param name="Tokens">Tokens fed to the model, special tokens included.</param>
/// <param name="Truncated">Whether the input was cut to the token window.</param>
internal readonly record struct EncodedInfo(int Tokens, bool Truncated);

/// <summary>Turns a batch of texts into vectors; the micro-batcher's only dependency (a seam for tests).</summary>
internal interface IBatchEncoder
{
    int Dimensions { get; }

    /// <summary>Writes <c>texts.Count * Dimensions</c> floats to <paramref name="destination"/>.</summary>
    void Encode(IReadOnlyList<string> texts, Span<float> destination, Span<EncodedInfo> info);
}
