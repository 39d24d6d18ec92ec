using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SemCache.Gpu;
using SemCache.Vectors;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the ILGPU batch similarity scorer for the embedded engine.</summary>
public static class GpuServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IBatchSimilarityScorer"/>, opened at first use by
    /// <see cref="GpuBatchScorers.Open"/>: CUDA when present, else the engine's CPU scorer. The engine
    /// registered by <c>AddSemanticCache</c> uses it for batch lookups.
    /// </summary>
    public static IServiceCollection AddSemanticCacheGpu(this IServiceCollection services, Action<GpuScorerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new GpuScorerOptions();
        configure?.Invoke(options);
        options.Validate();
        services.TryAddSingleton(sp => GpuBatchScorers.Open(options, sp.GetService<ILoggerFactory>()?.CreateLogger("SemCache.Gpu")));
        return services;
    }
}
