using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SemCache;
using SemCache.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the remote SemCache client.</summary>
public static class SemanticCacheClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ISemanticCache"/> as a <see cref="SemanticCacheClient"/> talking to a
    /// SemCache server: the drop-in replacement for the embedded <c>AddSemanticCache(...)</c>.
    /// </summary>
    public static IServiceCollection AddSemanticCacheClient(this IServiceCollection services, Action<SemanticCacheClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<SemanticCacheClientOptions>().Configure(configure);
        services.TryAddSingleton(sp => new SemanticCacheClient(sp.GetRequiredService<IOptions<SemanticCacheClientOptions>>().Value));
        services.TryAddSingleton<ISemanticCache>(sp => sp.GetRequiredService<SemanticCacheClient>());
        return services;
    }
}
