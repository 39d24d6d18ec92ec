using System.Buffers;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace SemCache.Embeddings.Onnx.CrossEncoding;

/// <summary>
/// The cross-encoder's inference session: which inputs it declares and in which integer type,
/// what its first output promises, and one forward pass over a padded batch of pairs.
/// <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// is thread-safe, so concurrent callers share this instance.
/// </summary>
internal sealed class CrossEncoderSession : IDisposable
{
    private const string InputIds = "input_ids";
    private const string AttentionMask = "attention_mask";
    private const string TokenTypeIds = "token_type_ids";

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly bool[] _inputIsInt32;
    private readonly string[] _outputNames;

    public CrossEncoderSession(InferenceSession session)
    {
        _session = session;
        var inputs = session.InputMetadata;
        if (!inputs.ContainsKey(InputIds) || !inputs.ContainsKey(AttentionMask))
        {
            throw new InvalidOperationException($"The cross-encoder model must have inputs {InputIds} and {AttentionMask} (it has {string.Join(", ", inputs.Keys)}).");
        }

        HasTokenTypes = inputs.ContainsKey(TokenTypeIds);
        _inputNames = HasTokenTypes ? [InputIds, AttentionMask, TokenTypeIds] : [InputIds, AttentionMask];
        _inputIsInt32 = new bool[_inputNames.Length];
        for (var i = 0; i < _inputNames.Length; i++)
        {
            _inputIsInt32[i] = inputs[_inputNames[i]].ElementDataType switch
            {
                TensorElementType.Int64 => false,
                TensorElementType.Int32 => true,
                var other => throw new InvalidOperationException($"The cross-encoder's input {_inputNames[i]} is {other}; only int64 and int32 token inputs are supported."),
            };
        }

        (FixedBatch, FixedSequence) = ReadInputShape(inputs[InputIds].Dimensions);

        OutputName = session.OutputNames[0];
        var output = session.OutputMetadata[OutputName];
        Head = ScoreHead.FromDeclared(OutputName, output.ElementDataType, output.Dimensions);
        _outputNames = [OutputName];
    }

    public bool HasTokenTypes { get; }

    /// <summary>1 when the model was exported for one pair per pass; 0 when the batch axis is dynamic.</summary>
    public int FixedBatch { get; }

    /// <summary>The sequence length every pass must have, or 0 when that axis is dynamic.</summary>
    public int FixedSequence { get; }

    public string OutputName { get; }

    public ScoreHeadKind Head { get; }

    /// <summary>Runs <paramref name="rows"/> pairs of <paramref name="sequence"/> positions and writes one probability per pair.</summary>
    public void Run(int rows, int sequence, int[] ids, int[] mask, int[] types, Span<float> scores)
    {
        var cells = rows * sequence;
        long[] shape = [rows, sequence];
        int[][] sources = HasTokenTypes ? [ids, mask, types] : [ids, mask];
        var values = new OrtValue[sources.Length];
        var widened = new long[]?[sources.Length];
        try
        {
            for (var i = 0; i < sources.Length; i++)
            {
                if (_inputIsInt32[i])
                {
                    values[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, sources[i].AsMemory(0, cells), shape);
                    continue;
                }

                var wide = ArrayPool<long>.Shared.Rent(cells);
                widened[i] = wide;
                var source = sources[i].AsSpan(0, cells);
                for (var c = 0; c < source.Length; c++)
                {
                    wide[c] = source[c];
                }

                values[i] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, wide.AsMemory(0, cells), shape);
            }

            using var outputs = _session.Run(_runOptions, _inputNames, values, _outputNames);
            var output = outputs[0];
            var info = output.GetTensorTypeAndShape();
            if (info.ElementDataType != TensorElementType.Float)
            {
                throw new InvalidOperationException($"The cross-encoder's first output '{OutputName}' is {info.ElementDataType}; it must be float32 logits.");
            }

            ScoreHead.ToProbabilities(OutputName, info.Shape, output.GetTensorDataAsSpan<float>(), rows, scores);
        }
        finally
        {
            for (var i = 0; i < values.Length; i++)
            {
                values[i]?.Dispose();
                if (widened[i] is { } wide)
                {
                    ArrayPool<long>.Shared.Return(wide);
                }
            }
        }
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static (int Batch, int Sequence) ReadInputShape(int[] dimensions)
    {
        // No declared shape: both axes are taken as dynamic.
        if (dimensions.Length == 0)
        {
            return (0, 0);
        }

        if (dimensions.Length != 2)
        {
            throw new InvalidOperationException($"The cross-encoder's input {InputIds} has {dimensions.Length} dimensions; expected [batch, sequence].");
        }

        var batch = dimensions[0];
        if (batch > 1)
        {
            throw new InvalidOperationException(
                $"The cross-encoder's input {InputIds} has a fixed batch size of {batch}; export it with a dynamic batch axis (or a batch of 1).");
        }

        var sequence = dimensions[1];
        if (sequence is > 0 and < 8)
        {
            throw new InvalidOperationException($"The cross-encoder's input {InputIds} has a fixed sequence length of {sequence}; at least 8 is needed.");
        }

        return (Math.Max(batch, 0), Math.Max(sequence, 0));
    }
}
