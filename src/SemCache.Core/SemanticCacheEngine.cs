using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SemCache.Engine;
using SemCache.Storage;
using SemCache.Vectors;
using SemCache.Verification;

namespace SemCache;

/// <summary>Opens the embedded engine without dependency injection (tools, tests, small services).</summary>
public static class SemanticCacheEngine
{
    /// <summary>
    /// Opens (and, after a crash, recovers) the cache in <see cref="SemanticCacheOptions.DataDirectory"/>.
    /// Throws <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming any invalid option,
    /// and <see cref="InvalidOperationException"/> when no embedder is given and requests do not bring vectors.
    /// <paramref name="verifier"/> sets the verifier's rules (all on by default); <paramref name="rescorer"/>,
    /// when given, re-scores borderline candidates (see <see cref="SemanticCacheOptions.RescoreBand"/>);
    /// <paramref name="batchScorer"/> computes the similarities of batch lookups (the CPU when null).
    /// </summary>
    public static IEmbeddedSemanticCache Open(
        SemanticCacheOptions options,
        IEmbeddingGenerator<string, Embedding<float>>? embedder = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        VerifierOptions? verifier = null,
        ICandidateRescorer? rescorer = null,
        IBatchSimilarityScorer? batchScorer = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        SemanticCache.ThrowIfUnusable(options, embedder);

        loggerFactory ??= NullLoggerFactory.Instance;
        var store = OpenStore(options, loggerFactory.CreateLogger("SemCache.Storage"));
        try
        {
            return new SemanticCache(options, store, embedder, loggerFactory.CreateLogger("SemCache"), timeProvider, meterFactory, verifier, rescorer, batchScorer);
        }
        catch
        {
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>
    /// Opens (and, after a crash, recovers) the cache without blocking the calling thread: the store's
    /// recovery and the rebuild of memory run on the thread pool, and stale records (expired, or
    /// replaced by a newer answer) are deleted in one batch before the cache is returned. Throws as
    /// <see cref="Open"/> does; <paramref name="cancellationToken"/> abandons the open before recovery.
    /// </summary>
    public static async ValueTask<IEmbeddedSemanticCache> OpenAsync(
        SemanticCacheOptions options,
        IEmbeddingGenerator<string, Embedding<float>>? embedder = null,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        VerifierOptions? verifier = null,
        ICandidateRescorer? rescorer = null,
        IBatchSimilarityScorer? batchScorer = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        SemanticCache.ThrowIfUnusable(options, embedder);

        loggerFactory ??= NullLoggerFactory.Instance;
        var store = await Task.Run(() => OpenStore(options, loggerFactory.CreateLogger("SemCache.Storage")), cancellationToken);
        try
        {
            return await SemanticCache.OpenAsync(
                options, store, embedder, loggerFactory.CreateLogger("SemCache"), timeProvider, meterFactory, verifier, rescorer, batchScorer, cancellationToken);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }
    }

    // The store's background checkpoints run on the system clock; the engine's clock decides expiry.
    private static IEntryStore OpenStore(SemanticCacheOptions options, ILogger logger) =>
        EntryStoreFactory.Open(options, logger);
}
