namespace SemCache.Embeddings.Onnx;

/// <summary>A snapshot of what the embedder has done since it was created.</summary>
/// <param name="Provider">The execution provider that runs the model (CPU or CUDA).</param>
/// <param name="ModelId">The model's name.</param>
/// <param name="Dimensions">Dimension of the vectors.</param>
/// <param name="Requests">Texts embedded through the micro-batcher.</param>
/// <param name="DirectInputs">Texts embedded through <see cref="IOnnxEmbeddingGenerator.EmbedBatch"/>.</param>
/// <param name="Batches">Batches the micro-batcher ran.</param>
/// <param name="LargestBatch">Most requests in one micro-batch.</param>
/// <param name="CancelledRequests">Requests cancelled before their result was delivered.</param>
/// <param name="TruncatedInputs">Inputs cut to the model's token window.</param>
/// <param name="Tokens">Tokens fed to the model, special tokens included.</param>
public sealed record OnnxEmbedderStats(
    OnnxExecutionProvider Provider,
    string ModelId,
    int Dimensions,
    long Requests,
    long DirectInputs,
    long Batches,
    int LargestBatch,
    long CancelledRequests,
    long TruncatedInputs,
    long Tokens)
{
    /// <summary>Mean requests per micro-batch; 0 before the first batch.</summary>
    public double AverageBatchSize => Batches == 0 ? 0 : (double)(Requests - CancelledRequests) / Batches;
}
