using System.Buffers;
using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using SemCache.Embeddings.Onnx.Tokenization;

namespace SemCache.Embeddings.Onnx;

/// <summary>
/// Tokenises a batch, runs the ONNX session on length-sorted groups padded to their longest
/// input, pools the token vectors and L2-normalises them.
/// </summary>
internal sealed class OnnxModelRunner : IBatchEncoder, IDisposable
{
    // Above this many inputs a batch is sorted by length and split where padding would waste
    // more than a quarter of the work; below it, one padded pass costs less than extra passes.
    private const int SortThreshold = 16;
    private const int MinGroupRows = 8;
    private const double MaxPaddingOverhead = 1.25;

    private readonly InferenceSession _session;
    private readonly WordPieceTokenizer _encoder;
    private readonly EmbeddingPooling _pooling;
    private readonly bool _normalize;
    private readonly int _maxRowsPerRun;
    private readonly string[] _inputNames;
    private readonly bool _hasTokenTypes;
    private readonly string _outputName;
    private readonly bool _outputIsPooled;
    private readonly RunOptions _runOptions = new();
    private readonly Lock _runLock = new();

    public OnnxModelRunner(InferenceSession session, WordPieceTokenizer encoder, OnnxEmbedderOptions options)
    {
        _session = session;
        _encoder = encoder;
        _pooling = options.Pooling;
        _normalize = options.Normalize;
        _maxRowsPerRun = Math.Max(options.MaxBatchSize, 64);

        var inputs = session.InputMetadata;
        if (!inputs.ContainsKey("input_ids") || !inputs.ContainsKey("attention_mask"))
        {
            throw new InvalidOperationException($"The ONNX model must have inputs input_ids and attention_mask (it has {string.Join(", ", inputs.Keys)}).");
        }

        _hasTokenTypes = inputs.ContainsKey("token_type_ids");
        _inputNames = _hasTokenTypes ? ["input_ids", "attention_mask", "token_type_ids"] : ["input_ids", "attention_mask"];

        // A model exported with its pooling outputs one vector per input; otherwise pool the token vectors.
        var outputs = session.OutputMetadata;
        var pooled = outputs.FirstOrDefault(o => o.Value.Dimensions.Length == 2 && o.Key.Contains("embedding", StringComparison.OrdinalIgnoreCase));
        if (pooled.Key is not null)
        {
            _outputName = pooled.Key;
            _outputIsPooled = true;
        }
        else
        {
            var tokens = outputs.FirstOrDefault(o => o.Value.Dimensions.Length == 3);
            _outputName = tokens.Key ?? throw new InvalidOperationException("The ONNX model has no [batch, tokens, hidden] output to pool.");
        }

        var hidden = outputs[_outputName].Dimensions[^1];
        Dimensions = hidden > 0 ? hidden : options.Dimensions;
        if (Dimensions != options.Dimensions)
        {
            throw new ArgumentException($"OnnxEmbedderOptions.Dimensions is {options.Dimensions} but the model outputs {Dimensions}-dimensional vectors.", nameof(options));
        }
    }

    public int Dimensions { get; }

    public int MaxSequenceLength => _encoder.MaxSequenceLength;

    public void Encode(IReadOnlyList<string> texts, Span<float> destination, Span<EncodedInfo> info)
    {
        var count = texts.Count;
        if (count == 0)
        {
            return;
        }

        var window = _encoder.MaxSequenceLength;
        var tokenIds = ArrayPool<int>.Shared.Rent(count * window);
        var order = ArrayPool<int>.Shared.Rent(count);
        var lengths = ArrayPool<int>.Shared.Rent(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var (tokens, truncated) = _encoder.Encode(texts[i], tokenIds.AsSpan(i * window, window));
                lengths[i] = tokens;
                order[i] = i;
                info[i] = new EncodedInfo(tokens, truncated);
            }

            if (count > SortThreshold)
            {
                var lengthOf = lengths;
                Array.Sort(order, 0, count, Comparer<int>.Create((a, b) => lengthOf[a].CompareTo(lengthOf[b])));
            }

            var start = 0;
            while (start < count)
            {
                var rows = GroupSize(order.AsSpan(start, count - start), lengths);
                RunGroup(order.AsSpan(start, rows), lengths, tokenIds, window, destination);
                start += rows;
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(tokenIds);
            ArrayPool<int>.Shared.Return(order);
            ArrayPool<int>.Shared.Return(lengths);
        }
    }

    /// <summary>How many of the (length-sorted) rows go into one pass before padding gets too costly.</summary>
    private int GroupSize(ReadOnlySpan<int> rows, int[] lengths)
    {
        var limit = Math.Min(rows.Length, _maxRowsPerRun);
        if (rows.Length <= SortThreshold)
        {
            return limit;
        }

        long sum = 0;
        var longest = 0;
        for (var n = 0; n < limit; n++)
        {
            var length = lengths[rows[n]];
            var newLongest = Math.Max(longest, length);
            if (n >= MinGroupRows && (long)newLongest * (n + 1) > MaxPaddingOverhead * (sum + length))
            {
                return n;
            }

            sum += length;
            longest = newLongest;
        }

        return limit;
    }

    private void RunGroup(ReadOnlySpan<int> rows, int[] lengths, int[] tokenIds, int window, Span<float> destination)
    {
        var batch = rows.Length;
        var sequence = 0;
        foreach (var row in rows)
        {
            sequence = Math.Max(sequence, lengths[row]);
        }

        var cells = batch * sequence;
        var ids = ArrayPool<long>.Shared.Rent(cells);
        var mask = ArrayPool<long>.Shared.Rent(cells);
        var types = ArrayPool<long>.Shared.Rent(cells);
        try
        {
            Array.Clear(ids, 0, cells);
            Array.Clear(mask, 0, cells);
            Array.Clear(types, 0, cells);
            for (var r = 0; r < batch; r++)
            {
                var source = tokenIds.AsSpan(rows[r] * window, lengths[rows[r]]);
                var target = ids.AsSpan(r * sequence, source.Length);
                for (var t = 0; t < source.Length; t++)
                {
                    target[t] = source[t];
                }

                mask.AsSpan(r * sequence, source.Length).Fill(1);
            }

            long[] shape = [batch, sequence];
            using var idsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, ids.AsMemory(0, cells), shape);
            using var maskValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, mask.AsMemory(0, cells), shape);
            using var typesValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, types.AsMemory(0, cells), shape);
            OrtValue[] inputs = _hasTokenTypes ? [idsValue, maskValue, typesValue] : [idsValue, maskValue];

            // One pass at a time: concurrent passes would only fight over the same cores (or GPU).
            lock (_runLock)
            {
                using var outputs = _session.Run(_runOptions, _inputNames, inputs, [_outputName]);
                var output = outputs[0].GetTensorDataAsSpan<float>();
                for (var r = 0; r < batch; r++)
                {
                    var vector = destination.Slice(rows[r] * Dimensions, Dimensions);
                    if (_outputIsPooled)
                    {
                        output.Slice(r * Dimensions, Dimensions).CopyTo(vector);
                    }
                    else
                    {
                        Pool(output.Slice(r * sequence * Dimensions, sequence * Dimensions), lengths[rows[r]], vector);
                    }

                    if (_normalize)
                    {
                        Normalize(vector);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(types);
        }
    }

    private void Pool(ReadOnlySpan<float> tokenVectors, int tokens, Span<float> vector)
    {
        var dims = vector.Length;
        tokenVectors[..dims].CopyTo(vector);
        if (_pooling == EmbeddingPooling.Cls)
        {
            return;
        }

        // Padding sits after the real tokens, so the attention mask is the first `tokens` rows.
        for (var t = 1; t < tokens; t++)
        {
            TensorPrimitives.Add(vector, tokenVectors.Slice(t * dims, dims), vector);
        }

        TensorPrimitives.Divide(vector, tokens, vector);
    }

    internal static void Normalize(Span<float> vector)
    {
        var norm = TensorPrimitives.Norm(vector);
        TensorPrimitives.Divide(vector, MathF.Max(norm, 1e-12f), vector);
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}
