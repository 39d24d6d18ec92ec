using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SemCache;
using SemCache.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the remote prefix-index client.</summary>
public static class PrefixCacheClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IPrefixCache"/> as a <see cref="PrefixCacheClient"/> talking to a SemCache server: the
    /// drop-in replacement for the embedded index that <c>AddSemanticCache(...)</c> registers.
    /// </summary>
    public static IServiceCollection AddPrefixCacheClient(this IServiceCollection services, Action<SemanticCacheClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SemanticCacheClientOptions>().Configure(configure);
        services.TryAddSingleton(sp => new PrefixCacheClient(sp.GetRequiredService<IOptions<SemanticCacheClientOptions>>().Value));
        services.TryAddSingleton<IPrefixCache>(sp => sp.GetRequiredService<PrefixCacheClient>());
        return services;
    }
}
