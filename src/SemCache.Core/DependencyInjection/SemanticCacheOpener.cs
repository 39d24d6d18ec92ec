using Microsoft.Extensions.Hosting;
using SemCache;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Opens the registered engine once, asynchronously (<see cref="SemanticCacheEngine.OpenAsync"/>: store
/// recovery and the rebuild of memory on the thread pool), and owns it: the synchronous registration hands
/// out the same instance, waiting for the open when it is resolved before the host started it.
/// </summary>
internal sealed class SemanticCacheOpener(Func<CancellationToken, ValueTask<IEmbeddedSemanticCache>> open) : IAsyncDisposable, IDisposable
{
    private readonly Lock _gate = new();
    private Task<IEmbeddedSemanticCache>? _opening;

    /// <summary>The open, started by the first caller; every caller shares it.</summary>
    public Task<IEmbeddedSemanticCache> OpenAsync()
    {
        lock (_gate)
        {
            // Not the caller's token: the open is shared, and one caller giving up must not fail the others.
            return _opening ??= Task.Run(async () => await open(CancellationToken.None).ConfigureAwait(false));
        }
    }

    /// <summary>The opened engine; blocks until the open completes (on the thread pool, so no context can deadlock it).</summary>
    public IEmbeddedSemanticCache Cache => OpenAsync().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        Task<IEmbeddedSemanticCache>? opening;
        lock (_gate) { opening = _opening; }
        if (opening is null) { return; }
        try
        {
            await (await opening.ConfigureAwait(false)).DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception) when (opening.IsFaulted)
        {
            // The open failed and was reported to whoever awaited it; nothing was opened to dispose.
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}

/// <summary>Awaits the engine's open while the host starts, so the host neither serves before it nor blocks a thread on it.</summary>
internal sealed class SemanticCacheOpenService(SemanticCacheOpener opener) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => opener.OpenAsync().WaitAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
