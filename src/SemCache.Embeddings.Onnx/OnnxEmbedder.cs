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
            runner = new OnnxModelRunner(session, encoder, options, provider, Lanes(options, provider));

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

    private static int Lanes(OnnxEmbedderOptions options, OnnxExecutionProvider provider)
    {
        if (options.ParallelRuns > 0)
        {
            return options.ParallelRuns;
        }

        if (provider == OnnxExecutionProvider.Cuda || options.IntraOpThreads == 0)
        {
            return 1;
        }

        return Math.Max(1, Environment.ProcessorCount / options.IntraOpThreads);
    }

    private static InferenceSession CreateSession(ModelAssets assets, OnnxEmbedderOptions options, OnnxExecutionProvider provider) =>
        OnnxSessionFactory.Create(
            assets,
            new OnnxSessionSettings(options.GraphOptimizationLevel, options.IntraOpThreads, options.InterOpThreads, options.AllowThreadSpinning, options.EnableCpuMemoryArena, options.CudaDeviceId),
            provider);
}
