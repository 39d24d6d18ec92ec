using Microsoft.Extensions.AI;

namespace SemCache.Embeddings.Onnx;

/// <summary>
/// An <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over ONNX Runtime. Single texts from
/// concurrent callers are coalesced into batches; each embedding carries
/// <c>AdditionalProperties["truncated"] = true</c> when its input was cut to the token window.
/// </summary>
public interface IOnnxEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The execution provider that runs the model: <see cref="OnnxExecutionProvider.Cpu"/> or <see cref="OnnxExecutionProvider.Cuda"/>.</summary>
    OnnxExecutionProvider ExecutionProvider { get; }

    /// <summary>Dimension of the vectors.</summary>
    int Dimensions { get; }

    /// <summary>Counters since creation.</summary>
    /// <returns>A snapshot.</returns>
    OnnxEmbedderStats GetStats();

    /// <summary>
    /// Embeds <paramref name="texts"/> on the calling thread, bypassing the micro-batcher: for bulk
    /// jobs that already hold many texts. The texts are sorted by length and run in forward passes
    /// of at most max(<see cref="OnnxEmbedderOptions.MaxBatchSize"/>, 64) inputs.
    /// </summary>
    /// <param name="texts">The texts; none may be null, empty or whitespace only.</param>
    /// <param name="destination">Receives <c>texts.Count * Dimensions</c> floats, one vector after another.</param>
    /// <returns>How many inputs were truncated to the token window.</returns>
    int EmbedBatch(IReadOnlyList<string> texts, Span<float> destination);
}
