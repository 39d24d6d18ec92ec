namespace SemCache.Server.Hosting;

/// <summary>
/// Opens the engine while the host starts, so a bad data directory or missing embedder stops the
/// server at once with its message instead of failing the first request.
/// </summary>
internal sealed class EngineStartup(IServiceProvider services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = services.GetRequiredService<ISemanticCache>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
