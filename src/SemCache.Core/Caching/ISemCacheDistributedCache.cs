using Microsoft.Extensions.Caching.Distributed;

namespace SemCache.Caching;

/// <summary>
/// SemCache's FASTER store as an <see cref="IDistributedCache"/> and <see cref="IBufferDistributedCache"/>, so
/// <c>AddHybridCache()</c> and <c>UseDistributedCache()</c> can use it as their L2. Keys are exact (no semantic
/// matching: that is what <see cref="ISemanticCache"/> is for). Dispose it to checkpoint and close the store.
/// </summary>
public interface ISemCacheDistributedCache : IBufferDistributedCache, IAsyncDisposable, IDisposable
{
    /// <summary>Live keys.</summary>
    int Count { get; }
}
