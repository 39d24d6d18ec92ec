using System.Reflection;
using SemCache.Server.Auth;

namespace SemCache.Server.Dashboard;

/// <summary>The dashboard page (embedded static files) and the JSON it draws from.</summary>
internal static class DashboardEndpoints
{
    private const int MaxTenantsShown = 200;

    public static void MapDashboard(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", () => Asset("index.html", "text/html; charset=utf-8"));
        endpoints.MapGet("/dashboard.js", () => Asset("dashboard.js", "text/javascript; charset=utf-8"));
        endpoints.MapGet("/dashboard.css", () => Asset("dashboard.css", "text/css; charset=utf-8"));
        endpoints.MapGet("/api/dashboard", GetDashboardAsync);
        endpoints.MapDashboardCosts();
        endpoints.MapDashboardCluster();
    }

    private static IResult Asset(string name, string contentType)
    {
        var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("dashboard/" + name);
        return stream is null ? Results.NotFound() : Results.Stream(stream, contentType);
    }

    private static async Task<IResult> GetDashboardAsync(
        ISemanticCache cache,
        ApiKeyStore keys,
        DashboardRecorder recorder,
        CancellationToken cancellationToken)
    {
        var total = await cache.GetStatsAsync(null, cancellationToken);
        var tenants = new List<object>();
        foreach (var tenant in keys.Tenants().Take(MaxTenantsShown))
        {
            var stats = await cache.GetStatsAsync(tenant, cancellationToken);
            tenants.Add(new { tenant, entries = stats.Entries, bytes = stats.Bytes });
        }

        var current = recorder.Current();
        var lookups = current.Exact + current.Semantic + current.Misses;
        return Results.Json(new
        {
            server = new
            {
                version = typeof(DashboardEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion,
                sampleIntervalMs = recorder.SampleInterval.TotalMilliseconds,
            },
            totals = new
            {
                lookups,
                exactHits = current.Exact,
                semanticHits = current.Semantic,
                misses = current.Misses,
                hitRate = lookups == 0 ? 0 : (double)(current.Exact + current.Semantic) / lookups,
                deadlineMisses = recorder.DeadlineMisses,
                stores = current.Stores,
                tokensSaved = current.TokensSaved,
                costSaved = current.CostSaved,
            },
            engine = new
            {
                entries = total.Entries,
                bytes = total.Bytes,
                partitions = total.Partitions,
                lookups = total.Lookups,
                hitRate = total.HitRate,
                vetoes = total.Vetoes,
                evictions = total.Evictions,
                expirations = total.Expirations,
                tokensSaved = total.TokensSaved,
                costSaved = total.CostSaved,
            },
            series = recorder.Samples(),
            latencyMs = recorder.LatencyPercentiles(),
            similarity = new
            {
                buckets = DashboardRecorder.SimilarityBuckets,
                hits = recorder.HitSimilarity(),
                nearMisses = recorder.MissSimilarity(),
            },
            vetoes = recorder.Reasons(),
            tenants,
        });
    }
}
