namespace SemCache.Embeddings.Onnx;

/// <summary>
/// Options of the ONNX cross-encoder that re-scores borderline cache candidates. Validated when the
/// cross-encoder is created or registered: an invalid value fails with an
/// <see cref="ArgumentException"/> whose message and parameter name name the option.
/// </summary>
/// <remarks>
/// Only BERT-style cross-encoders with a WordPiece vocabulary are supported (for example
/// <c>cross-encoder/ms-marco-MiniLM-L-6-v2</c> or <c>cross-encoder/stsb-TinyBERT-L-4</c> exported to
/// ONNX); RoBERTa/BPE models such as <c>cross-encoder/quora-distilroberta-base</c> are not.
/// </remarks>
public sealed class OnnxCrossEncoderOptions
{
    /// <summary>
    /// Folder with <c>model.onnx</c> and <c>vocab.txt</c> (or a WordPiece <c>tokenizer.json</c>).
    /// Required: there is no built-in cross-encoder.
    /// </summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Whether the vocabulary is lower-cased (uncased BERT models). Default true.</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>
    /// Tokenizer behaviour. Default <see cref="TokenizerCompatibility.HuggingFace"/>: cross-encoders are
    /// trained with the Hugging Face BERT tokenizer (accents stripped, unsplittable words become one [UNK]).
    /// </summary>
    public TokenizerCompatibility Tokenizer { get; set; } = TokenizerCompatibility.HuggingFace;

    /// <summary>
    /// Token window of one pair, <c>[CLS] query [SEP] candidate [SEP]</c> included. A longer pair is
    /// cut longest-first, as the Hugging Face tokenizer does: tokens are dropped from the end of the
    /// longer text, and of both once they are equally long.
    /// Default 256; 8 to 512.
    /// </summary>
    public int MaxSequenceLength { get; set; } = 256;

    /// <summary>Most pairs scored in one forward pass; a call with more candidates runs several. Default 16.</summary>
    public int MaxBatchSize { get; set; } = 16;

    /// <summary>Execution provider. Default <see cref="OnnxExecutionProvider.Auto"/> (CUDA when usable, else the CPU).</summary>
    public OnnxExecutionProvider Provider { get; set; } = OnnxExecutionProvider.Auto;

    /// <summary>CUDA device ordinal. Default 0.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>
    /// Threads inside one forward pass on the CPU provider; 0 lets ONNX Runtime choose (one per
    /// physical core). Default 1: concurrent lookups re-score at the same time, each on its own
    /// thread, which keeps the cores busy without oversubscribing them; raise it when single calls
    /// with many long candidates must finish sooner.
    /// </summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Copies these options.</summary>
    /// <returns>An independent copy.</returns>
    public OnnxCrossEncoderOptions Clone() => (OnnxCrossEncoderOptions)MemberwiseClone();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelDirectory))
        {
            throw new ArgumentException("OnnxCrossEncoderOptions.ModelDirectory must name a folder with model.onnx and vocab.txt or tokenizer.json.", nameof(ModelDirectory));
        }

        Require(Enum.IsDefined(Tokenizer), nameof(Tokenizer), $"is not a known tokenizer compatibility ({Tokenizer}).");
        Require(MaxSequenceLength is >= 8 and <= 512, nameof(MaxSequenceLength), $"must be between 8 and 512 tokens (was {MaxSequenceLength}).");
        Require(MaxBatchSize is >= 1 and <= 1_024, nameof(MaxBatchSize), $"must be between 1 and 1024 (was {MaxBatchSize}).");
        Require(Enum.IsDefined(Provider), nameof(Provider), $"is not a known provider ({Provider}).");
        Require(CudaDeviceId >= 0, nameof(CudaDeviceId), $"must be 0 or more (was {CudaDeviceId}).");
        Require(IntraOpThreads is >= 0 and <= 1_024, nameof(IntraOpThreads), $"must be between 0 and 1024 (was {IntraOpThreads}).");
    }

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, $"OnnxCrossEncoderOptions.{name} {message}");
        }
    }
}
