using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using SemCache.Caching;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers SemCache's FASTER store as the application's <see cref="IDistributedCache"/>.</summary>
public static class SemCacheDistributedCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IDistributedCache"/> and <see cref="IBufferDistributedCache"/> (one singleton, opened on
    /// first use and checkpointed when the container is disposed), so <c>AddHybridCache()</c> uses it as its L2.
    /// Replaces an <see cref="IDistributedCache"/> registered before (e.g. by <c>AddDistributedMemoryCache()</c>).
    /// </summary>
    public static IServiceCollection AddSemCacheDistributedCache(this IServiceCollection services, Action<SemCacheDistributedCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new SemCacheDistributedCacheOptions();
        configure?.Invoke(options);
        options.Validate();
        services.TryAddSingleton(sp => SemCacheDistributedCache.Open(options, sp.GetService<ILoggerFactory>(), sp.GetService<TimeProvider>()));
        services.RemoveAll<IDistributedCache>();
        services.RemoveAll<IBufferDistributedCache>();
        services.AddSingleton<IDistributedCache>(sp => sp.GetRequiredService<ISemCacheDistributedCache>());
        services.AddSingleton<IBufferDistributedCache>(sp => sp.GetRequiredService<ISemCacheDistributedCache>());
        return services;
    }
}
