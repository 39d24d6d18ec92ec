using Microsoft.ML.OnnxRuntime;

namespace SemCache.Embeddings.Onnx;

/// <summary>The ONNX Runtime session settings the embedder and the cross-encoder share.</summary>
internal readonly record struct OnnxSessionSettings(
    GraphOptimizationLevel OptimizationLevel,
    int IntraOpThreads,
    int InterOpThreads,
    bool AllowThreadSpinning,
    bool EnableCpuMemoryArena,
    int CudaDeviceId);

/// <summary>Creates an inference session over a model file or the built-in model bytes.</summary>
internal static class OnnxSessionFactory
{
    public static InferenceSession Create(ModelAssets assets, OnnxSessionSettings settings, OnnxExecutionProvider provider)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = settings.OptimizationLevel,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = settings.IntraOpThreads,
            InterOpNumThreads = settings.InterOpThreads,
            EnableCpuMemArena = settings.EnableCpuMemoryArena,
        };
        try
        {
            var spinning = settings.AllowThreadSpinning ? "1" : "0";
            sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", spinning);
            sessionOptions.AddSessionConfigEntry("session.inter_op.allow_spinning", spinning);
            if (provider == OnnxExecutionProvider.Cuda)
            {
                sessionOptions.AppendExecutionProvider_CUDA(settings.CudaDeviceId);
            }

            return assets.ModelBytes is { } bytes
                ? new InferenceSession(bytes, sessionOptions)
                : new InferenceSession(assets.ModelPath!, sessionOptions);
        }
        finally
        {
            // The session keeps its own copy of what it needs from the options.
            sessionOptions.Dispose();
        }
    }
}
