using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SemCache.Server.Tests;

/// <summary>Cost accounting through the server: configuration keys, the wire's feature field, metrics, dashboard and alert rules.</summary>
public sealed partial class CostAccountingServerTests
{
    [Fact]
    public async Task A_configured_budget_crossed_over_gRPC_shows_in_the_metrics_the_alert_rules_read_and_on_the_dashboard()
    {
        var pricing = Path.Combine(Path.GetTempPath(), $"semcache-pricing-{Guid.NewGuid():n}.json");
        await File.WriteAllTextAsync(pricing, """{"currency":"USD","models":{"house-model":{"input":10,"output":30}}}""");
        try
        {
            await using var host = await ServerHost.StartAsync(kestrel: true, engine: true, settings: new Dictionary<string, string?>
            {
                ["SemCache:PricingFile"] = pricing,
                ["SemCache:Budgets:support-daily:Feature"] = "support",
                ["SemCache:Budgets:support-daily:MaxSpend"] = "0.02",
            });
            using var client = host.ClientFor(ServerHost.AdminKey);
            var scope = new CacheScope { Model = "house-model" };

            // house-model: 1,000 x $10 / 1e6 + 500 x $30 / 1e6 = $0.025 per answer, over the $0.02 budget.
            await client.StoreAsync(new CacheStoreRequest { Tenant = "default", Scope = scope, Prompt = "refund policy?", Response = "30 days", Vector = TestData.Vector(1), Usage = new CacheUsage(1_000, 500, 0), Feature = "support" });
            await client.LookupAsync(new CacheLookupRequest { Tenant = "default", Scope = scope, Prompt = "refund policy?", Vector = TestData.Vector(1), Feature = "support" });
            using var http = new HttpClient { BaseAddress = host.HttpAddress };
            var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            var costs = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/costs", UriKind.Relative));

            Assert.Matches("""semcache_budget_breached[a-z_]*\{[^}]*budget="support-daily"[^}]*kind="spend"[^}]*\} 1""", metrics);
            var support = Assert.Single(costs.GetProperty("features").EnumerateArray());
            Assert.Equal("support", support.GetProperty("name").GetString());
            Assert.Equal(0.025, support.GetProperty("costSaved").GetDouble(), 9);
            Assert.True(Assert.Single(costs.GetProperty("budgets").EnumerateArray()).GetProperty("spendExceeded").GetBoolean());

            // Every metric the shipped alert rules use is one the server exports.
            foreach (var name in RuleMetrics())
            {
                Assert.True(metrics.Contains(name + "{", StringComparison.Ordinal) || metrics.Contains(name + " ", StringComparison.Ordinal), $"deploy/prometheus/semcache-alerts.yml uses {name}, which /metrics does not export");
            }
        }
        finally
        {
            File.Delete(pricing);
        }
    }

    private static List<string> RuleMetrics()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SemCache.sln"))) { dir = dir.Parent; }
        var rules = File.ReadAllLines(Path.Combine(dir!.FullName, "deploy", "prometheus", "semcache-alerts.yml"));
        var names = rules.Where(l => l.TrimStart().StartsWith("expr:", StringComparison.Ordinal) || l.StartsWith("          ", StringComparison.Ordinal))
            .SelectMany(l => MetricName().Matches(l).Select(m => m.Value))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.NotEmpty(names);
        return names;
    }

    [GeneratedRegex("semcache_[a-z_]+")]
    private static partial Regex MetricName();
}
