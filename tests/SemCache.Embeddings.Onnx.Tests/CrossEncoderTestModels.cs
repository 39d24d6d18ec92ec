using System.Text;

namespace SemCache.Embeddings.Onnx.Tests;

/// <summary>Which integer the test model sums per pair.</summary>
internal enum SummedInput
{
    /// <summary>token_type_ids × attention_mask: the second segment's length (candidate pieces + final [SEP]).</summary>
    SecondSegment,

    /// <summary>attention_mask: the whole pair's length.</summary>
    PairLength,

    /// <summary>input_ids, padding included: proves the ids and the pad id.</summary>
    TokenIds,
}

/// <summary>How the test model shapes its logit.</summary>
internal enum OutputForm
{
    /// <summary>[N,1]: one logit per pair.</summary>
    Column,

    /// <summary>[N]: one logit per pair.</summary>
    Vector,

    /// <summary>[N,2]: a zero logit for class 0, the logit for class 1.</summary>
    TwoClass,

    /// <summary>[N,3], declared as such: not a score.</summary>
    ThreeClass,

    /// <summary>[N,3] at run time, with no shape declared.</summary>
    ThreeClassUndeclared,
}

/// <summary>
/// Tiny ONNX cross-encoders whose logit is <c>Scale × Σ input + Bias</c> per pair, so a score reveals
/// exactly what the encoder fed the model; written as ModelProto bytes with a minimal protobuf writer.
/// </summary>
internal static class CrossEncoderTestModels
{
    public const float Scale = 0.1f;
    public const float Bias = -2.5f;
    public const float IdScale = 0.005f;
    public const float IdBias = -1.5f;

    // Ids are line numbers. [PAD] is deliberately not 0, so padding with the wrong id shows.
    public static readonly string[] Vocabulary =
    [
        "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]",
        "the", "cat", "sat", "on", "mat", "dog", "what", "is", "a", "?", "##s", "un", "##able", "to", "fly",
    ];

    public static int Id(string token) => Array.IndexOf(Vocabulary, token);

    /// <summary>Writes model.onnx and vocab.txt into a new temporary folder and returns it.</summary>
    public static string WriteFolder(
        SummedInput summed,
        OutputForm output = OutputForm.Column,
        bool tokenTypes = true,
        bool int32Inputs = false,
        long fixedBatch = 0,
        long fixedSequence = 0)
    {
        var folder = Directory.CreateTempSubdirectory("semcache-crossenc-").FullName;
        File.WriteAllBytes(Path.Combine(folder, "model.onnx"), Build(summed, output, tokenTypes, int32Inputs, fixedBatch, fixedSequence));
        File.WriteAllText(Path.Combine(folder, "vocab.txt"), string.Join('\n', Vocabulary) + "\n");
        return folder;
    }

    public static void Delete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless; failing the test over it would not be.
        }
    }

    private static byte[] Build(SummedInput summed, OutputForm output, bool tokenTypes, bool int32Inputs, long fixedBatch, long fixedSequence)
    {
        const int Float = 1;
        const int Int32 = 6;
        const int Int64 = 7;
        var tokenType = int32Inputs ? Int32 : Int64;
        var (scale, bias) = summed == SummedInput.TokenIds ? (IdScale, IdBias) : (Scale, Bias);
        var keepDims = output == OutputForm.Vector ? 0 : 1;

        var graph = new ProtoWriter();
        var summedName = summed switch
        {
            SummedInput.SecondSegment => "typed",
            SummedInput.PairLength => "attention_mask",
            _ => "input_ids",
        };
        if (summed == SummedInput.SecondSegment)
        {
            graph.Message(1, Node("Mul", ["token_type_ids", "attention_mask"], "typed"));
        }

        graph.Message(1, Node("Cast", [summedName], "summed_f", IntAttribute("to", Float)));
        graph.Message(1, Node("ReduceSum", ["summed_f", "axes"], "total", IntAttribute("keepdims", keepDims)));
        graph.Message(1, Node("Mul", ["total", "scale"], "scaled"));
        graph.Message(1, Node("Add", ["scaled", "bias"], "logit"));
        var outputName = "logit";
        if (output is OutputForm.TwoClass or OutputForm.ThreeClass or OutputForm.ThreeClassUndeclared)
        {
            graph.Message(1, Node("Mul", ["logit", "zero"], "zeros"));
            string[] columns = output == OutputForm.TwoClass ? ["zeros", "logit"] : ["zeros", "zeros", "logit"];
            graph.Message(1, Node("Concat", columns, "logits", IntAttribute("axis", 1)));
            outputName = "logits";
        }

        graph.String(2, "cross_encoder_test");
        graph.Message(5, Tensor("axes", Int64, [1], BitConverter.GetBytes(1L)));
        graph.Message(5, Tensor("scale", Float, [], BitConverter.GetBytes(scale)));
        graph.Message(5, Tensor("bias", Float, [], BitConverter.GetBytes(bias)));
        graph.Message(5, Tensor("zero", Float, [], BitConverter.GetBytes(0f)));

        var batch = fixedBatch > 0 ? new Dim(fixedBatch, null) : new Dim(0, "batch");
        var sequence = fixedSequence > 0 ? new Dim(fixedSequence, null) : new Dim(0, "sequence");
        graph.Message(11, ValueInfo("input_ids", tokenType, [batch, sequence]));
        graph.Message(11, ValueInfo("attention_mask", tokenType, [batch, sequence]));
        if (tokenTypes)
        {
            graph.Message(11, ValueInfo("token_type_ids", tokenType, [batch, sequence]));
        }

        Dim[]? outputShape = output switch
        {
            OutputForm.Column => [batch, new Dim(1, null)],
            OutputForm.Vector => [batch],
            OutputForm.TwoClass => [batch, new Dim(2, null)],
            OutputForm.ThreeClass => [batch, new Dim(3, null)],
            _ => null,
        };
        graph.Message(12, ValueInfo(outputName, Float, outputShape));

        var opset = new ProtoWriter();
        opset.String(1, string.Empty);
        opset.Varint(2, 13);

        var model = new ProtoWriter();
        model.Varint(1, 8);
        model.Message(7, graph);
        model.Message(8, opset);
        return model.ToArray();
    }

    private static ProtoWriter Node(string opType, string[] inputs, string output, ProtoWriter? attribute = null)
    {
        var node = new ProtoWriter();
        foreach (var input in inputs)
        {
            node.String(1, input);
        }

        node.String(2, output);
        node.String(3, output + "_node");
        node.String(4, opType);
        if (attribute is not null)
        {
            node.Message(5, attribute);
        }

        return node;
    }

    private static ProtoWriter IntAttribute(string name, long value)
    {
        const int AttributeInt = 2;
        var attribute = new ProtoWriter();
        attribute.String(1, name);
        attribute.Varint(3, value);
        attribute.Varint(20, AttributeInt);
        return attribute;
    }

    private static ProtoWriter Tensor(string name, int dataType, long[] dims, byte[] raw)
    {
        var tensor = new ProtoWriter();
        foreach (var dim in dims)
        {
            tensor.Varint(1, dim);
        }

        tensor.Varint(2, dataType);
        tensor.String(8, name);
        tensor.Bytes(9, raw);
        return tensor;
    }

    private static ProtoWriter ValueInfo(string name, int elementType, Dim[]? shape)
    {
        var tensorType = new ProtoWriter();
        tensorType.Varint(1, elementType);
        if (shape is not null)
        {
            var shapeProto = new ProtoWriter();
            foreach (var dim in shape)
            {
                var dimension = new ProtoWriter();
                if (dim.Param is { } param)
                {
                    dimension.String(2, param);
                }
                else
                {
                    dimension.Varint(1, dim.Value);
                }

                shapeProto.Message(1, dimension);
            }

            tensorType.Message(2, shapeProto);
        }

        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var info = new ProtoWriter();
        info.String(1, name);
        info.Message(2, type);
        return info;
    }

    private readonly record struct Dim(long Value, string? Param);

    /// <summary>The protobuf wire format, only what ONNX models need: varints and length-delimited fields.</summary>
    private sealed class ProtoWriter
    {
        private readonly List<byte> _bytes = [];

        public void Varint(int field, long value)
        {
            Tag(field, 0);
            Raw((ulong)value);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

        public void Bytes(int field, byte[] value)
        {
            Tag(field, 2);
            Raw((ulong)value.Length);
            _bytes.AddRange(value);
        }

        public byte[] ToArray() => _bytes.ToArray();

        private void Tag(int field, int wireType) => Raw(((ulong)field << 3) | (uint)wireType);

        private void Raw(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }

            _bytes.Add((byte)value);
        }
    }
}
