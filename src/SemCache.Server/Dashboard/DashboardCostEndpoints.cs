namespace SemCache.Server.Dashboard;

/// <summary>
/// The dashboard's cost view: savings over time, top features, per model, and budgets, from the engine's cost
/// accounting (<see cref="CacheStats.Costs"/>). Served beside <c>/api/dashboard</c>, under the same exposure rules.
/// </summary>
internal static class DashboardCostEndpoints
{
    private const int TopFeatures = 10;
    private const int TopModels = 10;

    public static void MapDashboardCosts(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/dashboard-costs.js", () =>
        {
            var stream = typeof(DashboardCostEndpoints).Assembly.GetManifestResourceStream("dashboard/dashboard-costs.js");
            return stream is null ? Results.NotFound() : Results.Stream(stream, "text/javascript; charset=utf-8");
        });
        endpoints.MapGet("/api/costs", GetCostsAsync);
    }

    private static async Task<IResult> GetCostsAsync(ISemanticCache cache, CancellationToken cancellationToken)
    {
        var total = await cache.GetStatsAsync(null, cancellationToken);
        var features = total.Costs
            .GroupBy(l => l.Feature, StringComparer.Ordinal)
            .Select(g => Summary(g.Key.Length == 0 ? "(none)" : g.Key, g))
            .OrderByDescending(s => s.CostSaved).ThenByDescending(s => s.Lookups)
            .Take(TopFeatures)
            .ToList();
        var models = total.Costs
            .GroupBy(l => l.Model, StringComparer.Ordinal)
            .Select(g => Summary(g.Key, g))
            .OrderByDescending(s => s.CostSaved).ThenByDescending(s => s.Lookups)
            .Take(TopModels)
            .ToList();
        return Results.Json(new
        {
            currency = total.Currency,
            costSaved = total.Costs.Sum(l => l.CostSaved),
            spend = total.Costs.Sum(l => l.Spend),
            savings = total.SavingsOverTime.Select(p => new { time = p.Start.ToUnixTimeMilliseconds(), p.Lookups, p.Hits, p.TokensSaved, p.CostSaved, p.Spend }),
            features,
            models,
            budgets = total.Budgets.Select(b => new
            {
                b.Name,
                b.Tenant,
                b.Feature,
                windowStart = b.WindowStart.ToUnixTimeMilliseconds(),
                b.Spend,
                b.MaxSpend,
                b.Lookups,
                b.HitRate,
                b.MinHitRate,
                b.SpendExceeded,
                b.HitRateBelowFloor,
            }),
        });
    }

    private static CostSummary Summary(string name, IEnumerable<CacheCostLine> lines)
    {
        long lookups = 0, hits = 0, tokens = 0;
        double saved = 0, spend = 0, latencyMs = 0;
        foreach (var l in lines)
        {
            latencyMs += l.LatencySaved.TotalMilliseconds;
            lookups += l.Lookups;
            hits += l.ExactHits + l.SemanticHits;
            tokens += l.TokensSaved;
            saved += l.CostSaved;
            spend += l.Spend;
        }

        return new CostSummary(name, lookups, lookups == 0 ? 0 : (double)hits / lookups, tokens, saved, spend, latencyMs);
    }

    private sealed record CostSummary(string Name, long Lookups, double HitRate, long TokensSaved, double CostSaved, double Spend, double LatencySavedMs);
}
