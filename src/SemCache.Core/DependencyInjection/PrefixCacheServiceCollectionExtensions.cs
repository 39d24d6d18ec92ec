using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using SemCache;
using SemCache.Prefix;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the embedded prompt-prefix index.</summary>
public static class PrefixCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IPrefixCache"/> as the embedded prefix index (once; <c>AddSemanticCache</c> calls this).
    /// It persists under <see cref="SemanticCacheOptions.DataDirectory"/> (folder <c>prefix</c>) unless the engine is
    /// <see cref="CacheDurability.InMemory"/>, and prices requests with a registered <see cref="PricingTable"/>, else
    /// <see cref="PricingTable.Default"/>.
    /// </summary>
    public static IServiceCollection AddPrefixCache(this IServiceCollection services, Action<PrefixCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<PrefixCacheOptions>();
        if (configure is not null) { options.Configure(configure); }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PrefixCacheOptions>, PrefixCacheOptionsValidator>());
        services.TryAddSingleton<IPrefixCache>(sp =>
        {
            var cache = sp.GetService<IOptions<SemanticCacheOptions>>()?.Value;
            var directory = cache is null || cache.Durability == CacheDurability.InMemory ? null : cache.DataDirectory;
            return new PrefixCache(
                sp.GetRequiredService<IOptions<PrefixCacheOptions>>().Value,
                directory,
                sp.GetService<PricingTable>(),
                sp.GetService<TimeProvider>(),
                sp.GetService<IMeterFactory>());
        });
        return services;
    }
}

/// <summary>Turns <see cref="PrefixCacheOptions.Validate"/> into an options failure, so a host stops with the message instead of a stack trace.</summary>
internal sealed class PrefixCacheOptionsValidator : IValidateOptions<PrefixCacheOptions>
{
    public ValidateOptionsResult Validate(string? name, PrefixCacheOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException e)
        {
            return ValidateOptionsResult.Fail(e.Message);
        }
    }
}
