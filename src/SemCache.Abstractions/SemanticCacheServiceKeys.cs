namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Service keys under which SemCache registers its own services, so they never replace the application's.</summary>
public static class SemanticCacheServiceKeys
{
    /// <summary>
    /// Key of the cache's <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c> (e.g. from <c>AddOnnxEmbedder()</c>).
    /// The engine uses the generator registered under this key, else the application's unkeyed one.
    /// </summary>
    public const string Embedder = "SemCache";
}
