using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using SemCache.Storage;

namespace SemCache.Server.Hosting;

/// <summary>
/// Feeds <c>/healthz</c> and grpc.health.v1. Unhealthy, with the reason, while the store is faulted
/// (a failed commit: writes refused, reads served) or the engine does not answer. /healthz is open
/// to anyone who reaches the port, so it stays cheap: the fault is a dictionary probe, and the
/// engine's whole-cache stats (which visit every partition) are asked at most once a second.
/// </summary>
internal sealed class EngineHealthCheck(ISemanticCache cache, IOptions<SemanticCacheOptions> options, TimeProvider time) : IHealthCheck
{
    private static readonly TimeSpan EngineCheckInterval = TimeSpan.FromSeconds(1);
    private (long At, HealthCheckResult Result)? _lastEngineCheck;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var cacheOptions = options.Value;
        if (cacheOptions.Durability != CacheDurability.InMemory && StoreFaults.Of(cacheOptions.DataDirectory) is { } reason)
        {
            return HealthCheckResult.Unhealthy("store faulted, writes refused until restart: " + reason);
        }

        if (_lastEngineCheck is { } last && time.GetElapsedTime(last.At) < EngineCheckInterval)
        {
            return last.Result;
        }

        var result = await CheckEngineAsync(cancellationToken);
        _lastEngineCheck = (time.GetTimestamp(), result);
        return result;
    }

    private async Task<HealthCheckResult> CheckEngineAsync(CancellationToken cancellationToken)
    {
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
