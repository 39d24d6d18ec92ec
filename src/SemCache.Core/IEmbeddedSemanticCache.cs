namespace SemCache;

/// <summary>
/// The embedded engine: an <see cref="ISemanticCache"/> that owns files and background work, so it
/// is disposed (which checkpoints) and can be checkpointed on demand.
/// </summary>
public interface IEmbeddedSemanticCache : ISemanticCache, IAsyncDisposable, IDisposable
{
    /// <summary>
    /// Makes everything stored so far durable in every mode but InMemory and writes index
    /// snapshots of the partitions that changed, so that the next start replays less.
    /// </summary>
    ValueTask CheckpointAsync(CancellationToken cancellationToken = default);
}
