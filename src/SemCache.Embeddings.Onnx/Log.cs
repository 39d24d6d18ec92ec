using Microsoft.Extensions.Logging;

namespace SemCache.Embeddings.Onnx;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "ONNX embedder ready: model {ModelId}, {Dimensions} dimensions, provider {Provider}, max batch {MaxBatchSize}, max wait {MaxWaitMicroseconds} µs")]
    public static partial void EmbedderReady(ILogger logger, string modelId, int dimensions, OnnxExecutionProvider provider, int maxBatchSize, int maxWaitMicroseconds);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "CUDA was detected but its ONNX Runtime session could not be created; using the CPU provider instead")]
    public static partial void CudaFallback(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "CUDA not used: {Reason}")]
    public static partial void CudaAbsent(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "Embedding batch of {Count} inputs failed")]
    public static partial void BatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "ONNX cross-encoder ready: model folder {ModelDirectory}, provider {Provider}, max batch {MaxBatchSize}, window {Window} tokens")]
    public static partial void CrossEncoderReady(ILogger logger, string modelDirectory, OnnxExecutionProvider provider, int maxBatchSize, int window);
}
