using Microsoft.Extensions.Options;

namespace SemCache.Server.Hosting;

/// <summary>
/// Opens the engine while the host starts, so a bad data directory or missing embedder stops the
/// server at once with its message instead of failing the first request. Logs where the data lives
/// as an absolute path: a relative <c>DataDirectory</c> is resolved against the working directory,
/// and an operator should not have to guess which one that was.
/// </summary>
internal sealed partial class EngineStartup(
    IServiceProvider services,
    IOptions<SemanticCacheOptions> cacheOptions,
    ILogger<EngineStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = cacheOptions.Value;
        if (options.Durability == CacheDurability.InMemory)
        {
            LogInMemory(logger);
        }
        else
        {
            LogDataDirectory(logger, options.DataDirectory, options.Durability);
        }

        _ = services.GetRequiredService<ISemanticCache>();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// A relative data directory made absolute against the process's working directory (not the
    /// content root, which is the program's folder), so that <c>./data</c> means the folder the
    /// server was started in, as the README says.
    /// </summary>
    internal static string ResolveDataDirectory(string directory) =>
        string.IsNullOrWhiteSpace(directory) ? directory : Path.GetFullPath(directory, Environment.CurrentDirectory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data directory: {DataDirectory} ({Durability})")]
    private static partial void LogDataDirectory(ILogger logger, string dataDirectory, CacheDurability durability);

    [LoggerMessage(Level = LogLevel.Information, Message = "Durability is InMemory: nothing is written to disk")]
    private static partial void LogInMemory(ILogger logger);
}
