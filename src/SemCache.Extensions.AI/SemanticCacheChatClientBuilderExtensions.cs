using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SemCache;
using SemCache.Extensions.AI;

namespace Microsoft.Extensions.AI;

/// <summary>Adds SemCache to a Microsoft.Extensions.AI chat pipeline.</summary>
public static class SemanticCacheChatClientBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="SemanticCachingChatClient"/> to the pipeline: repeated and reworded prompts are answered from
    /// <paramref name="cache"/> (or the <see cref="ISemanticCache"/> registered in the services: the embedded engine
    /// from <c>AddSemanticCache()</c> or the remote client from <c>AddSemanticCacheClient()</c>).
    /// </summary>
    /// <param name="builder">The chat client builder.</param>
    /// <param name="cache">The cache; null resolves <see cref="ISemanticCache"/> from the services.</param>
    /// <param name="configure">Sets the tenant, default feature, time to live, threshold or pricing of the middleware.</param>
    /// <returns>The same builder.</returns>
    public static ChatClientBuilder UseSemanticCache(this ChatClientBuilder builder, ISemanticCache? cache = null, Action<SemanticCachingChatClient>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var resolved = cache ?? services.GetService<ISemanticCache>()
                ?? throw new InvalidOperationException(
                    "UseSemanticCache() found no ISemanticCache: pass one, or register the embedded engine (services.AddSemanticCache().AddOnnxEmbedder()) or the server client (services.AddSemanticCacheClient(...)).");
            var client = new SemanticCachingChatClient(inner, resolved, services.GetService<ILoggerFactory>()?.CreateLogger<SemanticCachingChatClient>());
            configure?.Invoke(client);
            return client;
        });
    }
}
