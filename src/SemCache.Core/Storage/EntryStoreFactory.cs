using Microsoft.Extensions.Logging;

namespace SemCache.Storage;

/// <summary>Opens the engine's <see cref="IEntryStore"/>.</summary>
internal static class EntryStoreFactory
{
    /// <summary>
    /// Opens (creating or recovering) the store described by <paramref name="options"/>; see
    /// <see cref="FasterEntryStore"/> for what each durability mode guarantees.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static IEntryStore Open(EntryStoreOptions options, ILogger? logger = null) => FasterEntryStore.Open(options, logger);

    /// <summary>Opens the store with the engine's options (data directory, durability, checkpoint interval).</summary>
    public static IEntryStore Open(SemanticCacheOptions options, ILogger? logger = null) =>
        FasterEntryStore.Open(EntryStoreOptions.FromCacheOptions(options), logger);
}
