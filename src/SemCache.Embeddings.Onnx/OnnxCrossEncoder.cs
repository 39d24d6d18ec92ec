using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SemCache.Embeddings.Onnx.CrossEncoding;
using SemCache.Embeddings.Onnx.Tokenization;

namespace SemCache.Embeddings.Onnx;

/// <summary>
/// Re-scores cache candidates with a BERT cross-encoder in ONNX format: each candidate is read
/// together with the query as <c>[CLS] query [SEP] candidate [SEP]</c>, and the model's logit
/// becomes the probability that both ask the same thing. Safe for concurrent use.
/// </summary>
public sealed class OnnxCrossEncoder : ICandidateRescorer, IDisposable
{
    private readonly CrossEncoderSession _session;
    private readonly PairEncoder _encoder;
    private readonly int _maxBatch;
    private readonly int _fixedSequence;
    private volatile bool _disposed;

    private OnnxCrossEncoder(CrossEncoderSession session, PairEncoder encoder, int maxBatch, OnnxExecutionProvider provider)
    {
        _session = session;
        _encoder = encoder;
        _maxBatch = maxBatch;
        _fixedSequence = session.FixedSequence;
        Provider = provider;
    }

    /// <summary>The execution provider the model runs on.</summary>
    public OnnxExecutionProvider Provider { get; }

    /// <summary>
    /// Loads the model and its vocabulary, chooses the execution provider and scores one pair to
    /// prove the model runs. Every failure (invalid option, missing model or vocabulary, CUDA
    /// configured but unusable, inputs or an output shape that is not a cross-encoder's) throws
    /// here with a message naming the cause.
    /// </summary>
    /// <param name="options">The options; <see cref="OnnxCrossEncoderOptions.ModelDirectory"/> is required.</param>
    /// <param name="loggerFactory">Where the chosen provider and warnings are logged.</param>
    /// <returns>The ready cross-encoder; dispose it to free the session.</returns>
    public static OnnxCrossEncoder Create(OnnxCrossEncoderOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options = options.Clone();
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SemCache.Embeddings.Onnx.CrossEncoder");
        return Create(options, NativeCudaProbe.Instance, logger);
    }

    internal static OnnxCrossEncoder Create(OnnxCrossEncoderOptions options, ICudaProbe probe, ILogger logger)
    {
        var assets = ModelAssets.Load(options.ModelDirectory, "OnnxCrossEncoderOptions.ModelDirectory");

        // Checked before the session exists so a bad vocabulary does not cost a model load.
        _ = new WordPieceTokenizer(assets.Vocabulary, options.LowerCase, options.Tokenizer, options.MaxSequenceLength);

        var settings = new OnnxSessionSettings(
            Microsoft.ML.OnnxRuntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
            options.IntraOpThreads,
            InterOpThreads: 1,
            AllowThreadSpinning: false,
            EnableCpuMemoryArena: true,
            options.CudaDeviceId);
        var (inference, provider) = ExecutionProviderSelector.Select(
            options.Provider, probe, p => OnnxSessionFactory.Create(assets, settings, p), logger, "OnnxCrossEncoderOptions.Provider");

        CrossEncoderSession? session = null;
        try
        {
            session = new CrossEncoderSession(inference);

            // A model exported with a fixed sequence length gets exactly that many positions per pair.
            var window = session.FixedSequence > 0 ? Math.Min(options.MaxSequenceLength, session.FixedSequence) : options.MaxSequenceLength;
            var tokenizer = new WordPieceTokenizer(assets.Vocabulary, options.LowerCase, options.Tokenizer, window);
            var maxBatch = session.FixedBatch == 1 ? 1 : options.MaxBatchSize;
            var encoder = new OnnxCrossEncoder(session, new PairEncoder(tokenizer), maxBatch, provider);

            // One pass proves the inputs fit and the output is a score, and moves one-time costs out of the first lookup.
            encoder.Score("warm up", ["warm up"], CancellationToken.None);
            Log.CrossEncoderReady(logger, options.ModelDirectory!, provider, maxBatch, window);
            return encoder;
        }
        catch
        {
            if (session is null)
            {
                inference.Dispose();
            }
            else
            {
                session.Dispose();
            }

            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The pairs are scored in forward passes of at most <see cref="OnnxCrossEncoderOptions.MaxBatchSize"/>
    /// pairs on the calling thread; cancellation is checked before each pass.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="query"/>, <paramref name="candidates"/> or one of its elements is null.</exception>
    /// <exception cref="ObjectDisposedException">The cross-encoder was disposed.</exception>
    public ValueTask<float[]> ScoreAsync(string query, IReadOnlyList<string> candidates, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(candidates);
        for (var i = 0; i < candidates.Count; i++)
        {
            if (candidates[i] is null)
            {
                throw new ArgumentNullException(nameof(candidates), $"candidates[{i}] is null.");
            }
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        if (candidates.Count == 0)
        {
            return ValueTask.FromResult(Array.Empty<float>());
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<float[]>(cancellationToken);
        }

        try
        {
            return ValueTask.FromResult(Score(query, candidates, cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<float[]>(cancellationToken);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<float[]>(ex);
        }
    }

    /// <summary>Frees the inference session. Calls still running must finish first.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _session.Dispose();
    }

    private float[] Score(string query, IReadOnlyList<string> candidates, CancellationToken cancellationToken)
    {
        var count = candidates.Count;
        var scores = new float[count];
        var window = _encoder.Window;
        var rowsPerPass = Math.Min(_maxBatch, count);
        var queryPieces = ArrayPool<int>.Shared.Rent(window);
        var candidatePieces = ArrayPool<int>.Shared.Rent(rowsPerPass * window);
        var candidateLengths = ArrayPool<int>.Shared.Rent(rowsPerPass);
        var ids = ArrayPool<int>.Shared.Rent(rowsPerPass * window);
        var mask = ArrayPool<int>.Shared.Rent(rowsPerPass * window);
        var types = ArrayPool<int>.Shared.Rent(rowsPerPass * window);
        try
        {
            var queryLength = _encoder.Pieces(query, queryPieces);
            for (var start = 0; start < count; start += rowsPerPass)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var rows = Math.Min(rowsPerPass, count - start);

                // Pad only to the longest pair of this pass, unless the model fixes the length.
                var sequence = _fixedSequence;
                for (var r = 0; r < rows; r++)
                {
                    var length = _encoder.Pieces(candidates[start + r], candidatePieces.AsSpan(r * window, window));
                    candidateLengths[r] = length;
                    var (first, second) = PairEncoder.Truncate(queryLength, length, window);
                    sequence = Math.Max(sequence, first + second + 3);
                }

                var cells = rows * sequence;
                ids.AsSpan(0, cells).Fill(_encoder.PadId);
                mask.AsSpan(0, cells).Clear();
                types.AsSpan(0, cells).Clear();
                for (var r = 0; r < rows; r++)
                {
                    var (first, second) = PairEncoder.Truncate(queryLength, candidateLengths[r], window);
                    var row = r * sequence;
                    _encoder.Write(
                        queryPieces.AsSpan(0, first),
                        candidatePieces.AsSpan(r * window, second),
                        ids.AsSpan(row, sequence),
                        mask.AsSpan(row, sequence),
                        types.AsSpan(row, sequence));
                }

                _session.Run(rows, sequence, ids, mask, types, scores.AsSpan(start, rows));
            }

            return scores;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(queryPieces);
            ArrayPool<int>.Shared.Return(candidatePieces);
            ArrayPool<int>.Shared.Return(candidateLengths);
            ArrayPool<int>.Shared.Return(ids);
            ArrayPool<int>.Shared.Return(mask);
            ArrayPool<int>.Shared.Return(types);
        }
    }
}
