using SemCache.Cluster;

namespace SemCache.Server.Dashboard;

/// <summary>
/// The dashboard's cluster view (cluster mode only): each silo with the partition groups it coordinates,
/// the group copies it holds and the API calls it received for groups coordinated elsewhere.
/// </summary>
internal sealed class DashboardClusterView(IServiceProvider services)
{
    public async Task<object> DescribeAsync(CancellationToken cancellationToken)
    {
        var silos = await ClusterDescription.DescribeAsync(services, cancellationToken);
        return new
        {
            enabled = true,
            silos = silos.Select(s => new
            {
                silo = s.Silo,
                reachable = s.Reachable,
                coordinatedGroups = s.CoordinatedGroups,
                copies = s.Copies,
                forwardedCalls = s.ForwardedCalls,
                localCalls = s.LocalCalls,
                movesDone = s.MovesDone,
                movesPending = s.MovesPending,
                copiesFilled = s.CopiesFilled,
                entriesCopied = s.EntriesCopied,
            }),
        };
    }
}

/// <summary>Serves <c>/api/cluster</c> and its script beside the rest of the dashboard.</summary>
internal static class DashboardClusterEndpoints
{
    public static void MapDashboardCluster(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/dashboard-cluster.js", () =>
        {
            var stream = typeof(DashboardClusterEndpoints).Assembly.GetManifestResourceStream("dashboard/dashboard-cluster.js");
            return stream is null ? Results.NotFound() : Results.Stream(stream, "text/javascript; charset=utf-8");
        });
        endpoints.MapGet("/api/cluster", async (IServiceProvider services, CancellationToken cancellationToken) =>
            services.GetService<DashboardClusterView>() is { } view
                ? Results.Json(await view.DescribeAsync(cancellationToken))
                : Results.Json(new { enabled = false }));
    }
}
