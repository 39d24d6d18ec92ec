using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SemCache;
using SemCache.Engine;
using SemCache.Vectors;
using SemCache.Verification;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the embedded SemCache engine.</summary>
public static class SemanticCacheServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="ISemanticCache"/> (and <see cref="IEmbeddedSemanticCache"/>) as the embedded
    /// engine. Options are validated when the host starts; an invalid option fails with a message
    /// naming it. The engine uses the <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> registered
    /// under <see cref="SemanticCacheServiceKeys.Embedder"/> (e.g. by <c>.AddOnnxEmbedder()</c>), else the
    /// application's unkeyed one, unless <see cref="SemanticCacheOptions.RequestsBringVectors"/> is set.
    /// The verifier's rules come from <c>IOptions&lt;VerifierOptions&gt;</c> (configure or bind them; all on by default).
    /// A registered <see cref="ICandidateRescorer"/> (e.g. <c>.AddOnnxCrossEncoder(...)</c>) re-scores borderline candidates.
    /// Under a host the engine opens asynchronously while the host starts (a failed open stops the start);
    /// without one it opens on first resolution.
    /// </summary>
    public static ISemanticCacheBuilder AddSemanticCache(this IServiceCollection services, Action<SemanticCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<SemanticCacheOptions>();
        if (configure is not null) { options.Configure(configure); }
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SemanticCacheOptions>, SemanticCacheOptionsValidator>());
        services.AddOptions<VerifierOptions>().Validate(
            v =>
            {
                v.Validate();
                return true;
            }).ValidateOnStart();
        // Opened asynchronously: a host awaits the open (recovery included) while it starts, before it
        // serves; resolving the cache before that (no host, or a service that needs it earlier) waits for
        // the same open instead of starting a second one.
        services.TryAddSingleton(sp => new SemanticCacheOpener(ct => SemanticCacheEngine.OpenAsync(
            sp.GetRequiredService<IOptions<SemanticCacheOptions>>().Value,
            sp.GetKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(SemanticCacheServiceKeys.Embedder) ?? sp.GetService<IEmbeddingGenerator<string, Embedding<float>>>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>(),
            sp.GetService<IMeterFactory>(),
            sp.GetRequiredService<IOptions<VerifierOptions>>().Value,
            sp.GetService<ICandidateRescorer>(),
            sp.GetService<IBatchSimilarityScorer>(),
            ct)));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, SemanticCacheOpenService>());
        services.TryAddSingleton<IEmbeddedSemanticCache>(sp => sp.GetRequiredService<SemanticCacheOpener>().Cache);
        services.TryAddSingleton<ISemanticCache>(sp => sp.GetRequiredService<IEmbeddedSemanticCache>());
        services.AddPrefixCache();
        return new SemanticCacheBuilder(services);
    }

    private sealed class SemanticCacheBuilder(IServiceCollection services) : ISemanticCacheBuilder
    {
        public IServiceCollection Services { get; } = services;
    }
}
