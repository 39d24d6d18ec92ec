using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SemCache.Storage;

namespace SemCache.Server.Hosting;

/// <summary>
/// Feeds <c>/healthz</c> and grpc.health.v1. Unhealthy, with the reason, while the store is faulted
/// (a failed commit: writes refused, reads served) or the engine does not answer. Cheap: the fault
/// is a dictionary probe and the stats call reads the engine's counters.
/// </summary>
internal sealed class EngineHealthCheck(ISemanticCache cache, IOptions<SemanticCacheOptions> options) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var cacheOptions = options.Value;
        if (cacheOptions.Durability != CacheDurability.InMemory && StoreFaults.Of(cacheOptions.DataDirectory) is { } reason)
        {
            return HealthCheckResult.Unhealthy("store faulted, writes refused until restart: " + reason);
        }

        try
        {
            var stats = await cache.GetStatsAsync(null, cancellationToken);
            return HealthCheckResult.Healthy($"{stats.Entries} entries");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("the engine does not answer", e);
        }
    }

    /// <summary>Writes <c>Healthy</c> or <c>Unhealthy: reason</c> as plain text, so a probe's log says why.</summary>
    public static Task WriteResponse(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var reasons = report.Entries.Values.Where(e => e.Status != HealthStatus.Healthy).Select(e => e.Description).ToList();
        return context.Response.WriteAsync(reasons.Count == 0 ? report.Status.ToString() : $"{report.Status}: {string.Join("; ", reasons)}");
    }
}
