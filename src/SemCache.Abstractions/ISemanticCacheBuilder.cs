namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Returned by <c>AddSemanticCache(...)</c>: the place where embedders, verifiers and scorers
/// plug into the engine's registration (e.g. <c>.AddOnnxEmbedder()</c>).
/// </summary>
public interface ISemanticCacheBuilder
{
    /// <summary>The service collection the cache is registered in.</summary>
    IServiceCollection Services { get; }
}
