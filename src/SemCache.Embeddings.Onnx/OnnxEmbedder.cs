using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using SemCache.Embeddings.Onnx.Tokenization;

namespace SemCache.Embeddings.Onnx;

/// <summary>Creates ONNX embedding generators.</summary>
public static class OnnxEmbedder
{
    /// <summary>
    /// Loads the model and tokenizer, chooses the execution provider, runs one warm-up pass and
    /// returns a ready generator. Every failure (invalid option, missing model, CUDA configured but
    /// unusable, dimension mismatch) throws here, at start, with a message naming the cause.
    /// </summary>
    /// <param name="options">Options; null for the defaults (built-in MiniLM, automatic provider).</param>
    /// <param name="loggerFactory">Where the chosen provider and warnings are logged.</param>
    /// <returns>The generator; dispose it to stop its batching thread and free the session.</returns>
    public static IOnnxEmbeddingGenerator Create(OnnxEmbedderOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        options = options?.Clone() ?? new OnnxEmbedderOptions();
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SemCache.Embeddings.Onnx");
        return Create(options, NativeCudaProbe.Instance, logger);
    }

    internal static OnnxEmbeddingGenerator Create(OnnxEmbedderOptions options, ICudaProbe probe, ILogger logger)
    {
        var assets = ModelAssets.Load(options.ModelDirectory);
        var encoder = new WordPieceTokenizer(assets.Vocabulary, options.LowerCase, options.Tokenizer, options.MaxSequenceLength);
        var (session, provider) = ExecutionProviderSelector.Select(options.Provider, probe, p => CreateSession(assets, options, p), logger);
        OnnxModelRunner? runner = null;
        try
        {
            runner = new OnnxModelRunner(session, encoder, options);

            // A first pass proves the model runs and moves its one-time costs out of the first request.
            runner.Encode(["warm up"], new float[runner.Dimensions], new EncodedInfo[1]);
            var generator = new OnnxEmbeddingGenerator(runner, runner, provider, options, logger);
            Log.EmbedderReady(logger, options.ModelId, runner.Dimensions, provider, options.MaxBatchSize, options.MaxBatchWaitMicroseconds);
            return generator;
        }
        catch
        {
            if (runner is null)
            {
                session.Dispose();
            }
            else
            {
                runner.Dispose();
            }

            throw;
        }
    }

    private static InferenceSession CreateSession(ModelAssets assets, OnnxEmbedderOptions options, OnnxExecutionProvider provider)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.GraphOptimizationLevel,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
            EnableCpuMemArena = options.EnableCpuMemoryArena,
        };
        try
        {
            if (provider == OnnxExecutionProvider.Cuda)
            {
                sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
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
