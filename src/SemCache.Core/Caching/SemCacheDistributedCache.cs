using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SemCache.Storage;

namespace SemCache.Caching;

/// <summary>Opens SemCache's <see cref="ISemCacheDistributedCache"/>.</summary>
public static class SemCacheDistributedCache
{
    /// <summary>Opens (creating, or recovering after a crash) the store in <see cref="SemCacheDistributedCacheOptions.DataDirectory"/>.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static ISemCacheDistributedCache Open(SemCacheDistributedCacheOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("SemCache.DistributedCache");
        var store = EntryStoreFactory.Open(
            new EntryStoreOptions
            {
                DataDirectory = options.DataDirectory,
                Durability = options.Durability,
                CheckpointInterval = options.CheckpointInterval,

                // Smaller than the engine's defaults: this store holds opaque values, not vectors and answers at scale.
                LogMemorySizeBits = 26,
                IndexBuckets = 1L << 16,
            },
            logger);
        try
        {
            return new DistributedStore(options, store, timeProvider ?? TimeProvider.System);
        }
        catch
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }
}
