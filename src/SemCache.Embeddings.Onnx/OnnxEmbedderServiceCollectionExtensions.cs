using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SemCache.Embeddings.Onnx;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ONNX embedder as the semantic cache's embedding generator.</summary>
public static class OnnxEmbedderServiceCollectionExtensions
{
    /// <summary>
    /// Makes the ONNX embedder (all-MiniLM-L6-v2, on CUDA when the GPU runtime is installed and a device is
    /// present, else the CPU, by default) the cache's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of
    /// <c>string</c> to <see cref="Embedding{T}"/> of <c>float</c>: a keyed singleton under
    /// <see cref="SemanticCacheServiceKeys.Embedder"/>, which the engine resolves at start. The application's own
    /// generators (for RAG, search) stay registered and untouched. Options are
    /// validated here; the model loads when the generator is first resolved, and a missing or
    /// broken model fails that resolution with a clear message (never a silent fallback).
    /// </summary>
    /// <param name="builder">The cache builder returned by <c>AddSemanticCache(...)</c>.</param>
    /// <param name="configure">Adjusts the options.</param>
    /// <returns>The same builder.</returns>
    public static ISemanticCacheBuilder AddOnnxEmbedder(this ISemanticCacheBuilder builder, Action<OnnxEmbedderOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new OnnxEmbedderOptions();
        configure?.Invoke(options);
        options.Validate();

        var services = builder.Services;
        services.RemoveAll<IOnnxEmbeddingGenerator>();
        services.RemoveAllKeyed<IEmbeddingGenerator<string, Embedding<float>>>(SemanticCacheServiceKeys.Embedder);
        services.AddSingleton(options);
        services.AddSingleton(sp => OnnxEmbedder.Create(options, sp.GetService<ILoggerFactory>()));
        services.AddKeyedSingleton<IEmbeddingGenerator<string, Embedding<float>>>(
            SemanticCacheServiceKeys.Embedder, (sp, _) => sp.GetRequiredService<IOnnxEmbeddingGenerator>());
        return builder;
    }
}
