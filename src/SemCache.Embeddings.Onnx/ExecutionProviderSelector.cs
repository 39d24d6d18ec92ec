using Microsoft.Extensions.Logging;

namespace SemCache.Embeddings.Onnx;

/// <summary>Chooses the execution provider and creates the session for it.</summary>
internal static class ExecutionProviderSelector
{
    /// <summary>
    /// <see cref="OnnxExecutionProvider.Cpu"/>: CPU. <see cref="OnnxExecutionProvider.Cuda"/>: CUDA or an
    /// error. <see cref="OnnxExecutionProvider.Auto"/>: CUDA when the probe finds it and the session
    /// starts, else CPU (a CUDA session that fails to start is logged as a warning).
    /// </summary>
    public static (TSession Session, OnnxExecutionProvider Provider) Select<TSession>(
        OnnxExecutionProvider configured,
        ICudaProbe probe,
        Func<OnnxExecutionProvider, TSession> create,
        ILogger logger,
        string optionName = "OnnxEmbedderOptions.Provider")
    {
        switch (configured)
        {
            case OnnxExecutionProvider.Cpu:
                return (create(OnnxExecutionProvider.Cpu), OnnxExecutionProvider.Cpu);

            case OnnxExecutionProvider.Cuda:
                if (!probe.IsCudaAvailable(out var missing))
                {
                    throw new InvalidOperationException($"{optionName} is Cuda but CUDA cannot be used: {missing}.");
                }

                try
                {
                    return (create(OnnxExecutionProvider.Cuda), OnnxExecutionProvider.Cuda);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    throw new InvalidOperationException($"{optionName} is Cuda but the CUDA session could not be created: {ex.Message}", ex);
                }

            default:
                if (!probe.IsCudaAvailable(out var reason))
                {
                    Log.CudaAbsent(logger, reason);
                    return (create(OnnxExecutionProvider.Cpu), OnnxExecutionProvider.Cpu);
                }

                try
                {
                    return (create(OnnxExecutionProvider.Cuda), OnnxExecutionProvider.Cuda);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Log.CudaFallback(logger, ex);
                    return (create(OnnxExecutionProvider.Cpu), OnnxExecutionProvider.Cpu);
                }
        }
    }
}
