using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SemCache.Server.Hosting;

/// <summary>Healthy while the engine answers a stats call; feeds <c>/healthz</c> and grpc.health.v1.</summary>
internal sealed class EngineHealthCheck(ISemanticCache cache) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
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
}
