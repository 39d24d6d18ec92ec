using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using SemCache.Embeddings.Onnx.Tokenization;

namespace SemCache.Embeddings.Onnx;

/// <summary>
/// Tokenises a batch, runs the ONNX session on length-sorted groups padded to their longest
/// input, pools the token vectors and L2-normalises them.
/// </summary>
internal sealed unsafe class OnnxModelRunner : IBatchEncoder, IDisposable
{
    private readonly int _sortThreshold;
    private readonly int _minGroupRows;
    private readonly double _maxPaddingOverhead;

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
    private readonly int _lanes;
    private readonly SemaphoreSlim _runSlots;

    public OnnxModelRunner(InferenceSession session, WordPieceTokenizer encoder, OnnxEmbedderOptions options, OnnxExecutionProvider provider, int lanes)
    {
        _lanes = lanes;
        _runSlots = new SemaphoreSlim(lanes, lanes);
        // Padded positions cost as much as real ones. On the CPU, time per token barely improves
        // past a few rows, so batches are sorted by length and split wherever padding would exceed
        // 15 % of the work. A GPU wants large passes and pads cheaply, so it splits only at 2x.
        (_sortThreshold, _minGroupRows, _maxPaddingOverhead) = provider == OnnxExecutionProvider.Cuda ? (32, 32, 2.0) : (4, 4, 1.15);
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

            if (count > _sortThreshold)
            {
                var lengthOf = lengths;
                Array.Sort(order, 0, count, Comparer<int>.Create((a, b) => lengthOf[a].CompareTo(lengthOf[b])));
            }

            // With several lanes, a batch is cut into at least one group per lane so all cores work.
            var perLane = _lanes > 1 && count >= 2 * _minGroupRows ? (count + _lanes - 1) / _lanes : int.MaxValue;
            var groups = new List<(int Start, int Rows)>();
            for (var start = 0; start < count;)
            {
                var rows = GroupSize(order.AsSpan(start, count - start), lengths, perLane);
                groups.Add((start, rows));
                start += rows;
            }

            fixed (float* pinned = destination)
            {
                var address = (nint)pinned;
                var length = destination.Length;
                if (groups.Count == 1 || _lanes == 1)
                {
                    foreach (var (start, rows) in groups)
                    {
                        RunGroup(order, start, rows, lengths, tokenIds, window, destination);
                    }
                }
                else
                {
                    Parallel.For(0, groups.Count, new ParallelOptions { MaxDegreeOfParallelism = _lanes }, g =>
                        RunGroup(order, groups[g].Start, groups[g].Rows, lengths, tokenIds, window, new Span<float>((float*)address, length)));
                }
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
    private int GroupSize(ReadOnlySpan<int> rows, int[] lengths, int perLane)
    {
        var limit = Math.Min(Math.Min(rows.Length, _maxRowsPerRun), perLane);
        if (rows.Length <= _sortThreshold)
        {
            return limit;
        }

        long sum = 0;
        var longest = 0;
        for (var n = 0; n < limit; n++)
        {
            var length = lengths[rows[n]];
            var newLongest = Math.Max(longest, length);
            if (n >= _minGroupRows && (long)newLongest * (n + 1) > _maxPaddingOverhead * (sum + length))
            {
                return n;
            }

            sum += length;
            longest = newLongest;
        }

        return limit;
    }

    private void RunGroup(int[] order, int first, int count, int[] lengths, int[] tokenIds, int window, Span<float> destination)
    {
        var rows = order.AsSpan(first, count);
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

            // At most one pass per lane: more would only fight over the same cores (or GPU).
            _runSlots.Wait();
            try
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
                        Pooling.Pool(_pooling, output.Slice(r * sequence * Dimensions, sequence * Dimensions), lengths[rows[r]], vector);
                    }

                    if (_normalize)
                    {
                        Pooling.Normalize(vector);
                    }
                }
            }
            finally
            {
                _runSlots.Release();
            }
        }
        finally
        {
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<long>.Shared.Return(mask);
            ArrayPool<long>.Shared.Return(types);
        }
    }

    public void Dispose()
    {
        _runSlots.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
