using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace SemCache.Embeddings.Onnx;

/// <summary>The ONNX embedding generator: validation, the micro-batcher, metadata and stats.</summary>
internal sealed class OnnxEmbeddingGenerator : IOnnxEmbeddingGenerator
{
    internal const string TruncatedProperty = "truncated";
    internal const string TokensProperty = "tokens";

    private readonly IBatchEncoder _encoder;
    private readonly IDisposable? _ownedEncoder;
    private readonly MicroBatcher _batcher;
    private readonly EmbedderCounters _counters = new();
    private readonly string _modelId;
    private int _disposed;

    internal OnnxEmbeddingGenerator(IBatchEncoder encoder, IDisposable? ownedEncoder, OnnxExecutionProvider provider, OnnxEmbedderOptions options, ILogger logger)
    {
        _encoder = encoder;
        _ownedEncoder = ownedEncoder;
        _modelId = options.ModelId;
        ExecutionProvider = provider;
        Dimensions = encoder.Dimensions;
        Metadata = new EmbeddingGeneratorMetadata(
            provider == OnnxExecutionProvider.Cuda ? "onnxruntime-cuda" : "onnxruntime-cpu",
            providerUri: null,
            defaultModelId: options.ModelId,
            defaultModelDimensions: encoder.Dimensions);
        _batcher = new MicroBatcher(encoder, options.MaxBatchSize, options.MaxBatchWaitMicroseconds, options.MaxPendingRequests, _counters, logger);
    }

    public OnnxExecutionProvider ExecutionProvider { get; }

    public int Dimensions { get; }

    /// <summary>Provider name <c>onnxruntime-cpu</c> or <c>onnxruntime-cuda</c>, model id and dimensions.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    internal MicroBatcher Batcher => _batcher;

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (options?.Dimensions is { } dimensions && dimensions != Dimensions)
        {
            throw new ArgumentException($"EmbeddingGenerationOptions.Dimensions is {dimensions} but this model produces {Dimensions}-dimensional vectors.", nameof(options));
        }

        var texts = values as IReadOnlyList<string> ?? values.ToList();
        for (var i = 0; i < texts.Count; i++)
        {
            ValidateText(texts[i], i, nameof(values));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var results = new GeneratedEmbeddings<Embedding<float>>(texts.Count);
        if (texts.Count == 0)
        {
            return results;
        }

        var pending = new Task<BatchItemResult>[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            pending[i] = _batcher.EnqueueAsync(texts[i], cancellationToken);
        }

        long tokens = 0;
        var created = DateTimeOffset.UtcNow;
        foreach (var task in pending)
        {
            var item = await task.ConfigureAwait(false);
            tokens += item.Info.Tokens;
            results.Add(ToEmbedding(item, created));
        }

        results.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return results;
    }

    public int EmbedBatch(IReadOnlyList<string> texts, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        for (var i = 0; i < texts.Count; i++)
        {
            ValidateText(texts[i], i, nameof(texts));
        }

        if (destination.Length < texts.Count * Dimensions)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats; {texts.Count} texts need {texts.Count * Dimensions}.", nameof(destination));
        }

        var info = new EncodedInfo[texts.Count];
        _encoder.Encode(texts, destination, info);
        Interlocked.Add(ref _counters.DirectInputs, texts.Count);
        _counters.RecordEncoded(info);
        var truncated = 0;
        foreach (var item in info)
        {
            truncated += item.Truncated ? 1 : 0;
        }

        return truncated;
    }

    public OnnxEmbedderStats GetStats() => new(
        ExecutionProvider,
        _modelId,
        Dimensions,
        Interlocked.Read(ref _counters.Requests),
        Interlocked.Read(ref _counters.DirectInputs),
        Interlocked.Read(ref _counters.Batches),
        Volatile.Read(ref _counters.LargestBatch),
        Interlocked.Read(ref _counters.Cancelled),
        Interlocked.Read(ref _counters.Truncated),
        Interlocked.Read(ref _counters.Tokens));

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            return Metadata;
        }

        if (serviceType == typeof(OnnxEmbedderStats))
        {
            return GetStats();
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _batcher.Dispose();
        _ownedEncoder?.Dispose();
    }

    private Embedding<float> ToEmbedding(BatchItemResult item, DateTimeOffset created)
    {
        var embedding = new Embedding<float>(item.Vector) { ModelId = _modelId, CreatedAt = created };
        if (item.Info.Truncated)
        {
            embedding.AdditionalProperties = new AdditionalPropertiesDictionary { [TruncatedProperty] = true, [TokensProperty] = item.Info.Tokens };
        }

        return embedding;
    }

    private static void ValidateText(string? text, int index, string paramName)
    {
        if (text is null)
        {
            throw new ArgumentNullException(paramName, $"{paramName}[{index}] is null.");
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ArgumentException($"{paramName}[{index}] is empty or whitespace only; there is nothing to embed.", paramName);
        }
    }
}
