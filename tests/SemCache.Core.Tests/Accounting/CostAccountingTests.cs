using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SemCache.Engine;
using SemCache.Tests.Engine;

namespace SemCache.Tests.Accounting;

public sealed class CostAccountingTests : IDisposable
{
    private static readonly CacheScope Acme = new() { Model = "acme-llm-2025-01", SystemPrompt = "You are helpful." };
    private static readonly CacheScope Gpt4o = new() { Model = "gpt-4o", SystemPrompt = "You are helpful." };

    private readonly string _pricingFile = Path.Combine(Path.GetTempPath(), $"semcache-pricing-{Guid.NewGuid():n}.json");
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero));
    private readonly TestMeterFactory _meters = new();

    public CostAccountingTests() =>
        File.WriteAllText(_pricingFile, """{"currency":"USD","models":{"acme-llm":{"input":2.0,"output":8.0}}}""");

    [Fact]
    public async Task Money_saved_per_tenant_feature_and_model_matches_the_pricing_table_in_a_worked_example()
    {
        await using var cache = Open();
        await cache.StoreAsync(Store("t1", "How do I reset my password?", Acme, "support", new CacheUsage(1_000, 250, 0)));
        await cache.StoreAsync(Store("t1", "Summarise the return policy.", Gpt4o, "search", new CacheUsage(2_000, 1_000, 0)));
        await cache.StoreAsync(Store("t2", "How do I reset my password?", Acme, "support", new CacheUsage(1_000, 250, 0.5)));

        for (var i = 0; i < 2; i++) { await cache.LookupAsync(Lookup("t1", "How do I reset my password?", Acme, "support")); }
        await cache.LookupAsync(Lookup("t1", "Summarise the return policy.", Gpt4o, "search"));
        await cache.LookupAsync(Lookup("t1", "What colour is the logo?", Gpt4o, "search"));
        await cache.LookupAsync(Lookup("t2", "How do I reset my password?", Acme, "support"));
        var t1 = await cache.GetStatsAsync("t1");
        var t2 = await cache.GetStatsAsync("t2");

        // acme-llm comes from the pricing file ($2 in, $8 out per million; "acme-llm-2025-01" takes it as a dated id):
        // 1,000 x 2 / 1e6 + 250 x 8 / 1e6 = 0.002 + 0.002 = $0.004 per answer, saved twice = $0.008.
        var support = Assert.Single(t1.Costs, l => l.Feature == "support");
        Assert.Equal(("acme-llm-2025-01", 2L, 2L, 0L, 2_500L), (support.Model, support.Lookups, support.ExactHits, support.Misses, support.TokensSaved));
        Assert.Equal(0.008, support.CostSaved, 9);
        Assert.Equal(0.004, support.Spend, 9);

        // gpt-4o is a shipped price ($2.50 in, $10 out): 2,000 x 2.5 / 1e6 + 1,000 x 10 / 1e6 = 0.005 + 0.010 = $0.015.
        var search = Assert.Single(t1.Costs, l => l.Feature == "search");
        Assert.Equal(("gpt-4o", 2L, 1L, 1L), (search.Model, search.Lookups, search.ExactHits, search.Misses));
        Assert.Equal(0.015, search.CostSaved, 9);
        Assert.Equal(0.015, search.Spend, 9);
        Assert.Equal(0.023, t1.CostSaved, 9);

        // A cost the application reported is what it paid, and wins over the table.
        var other = Assert.Single(t2.Costs);
        Assert.Equal(("t2", 0.5, 0.5), (other.Tenant, other.CostSaved, other.Spend));
        Assert.Equal(3, (await cache.GetStatsAsync(null)).Costs.Count);
        Assert.Equal("USD", t1.Currency);
        var now = Assert.Single(t1.SavingsOverTime);
        Assert.Equal((5L, 4L), (now.Lookups, now.Hits));
        Assert.Equal(0.523, now.CostSaved, 9);
    }

    [Fact]
    public async Task Latency_saved_is_the_hits_times_the_mean_duration_of_the_calls_that_were_stored()
    {
        await using var cache = Open();
        await cache.StoreAsync(Store("t1", "first question", Acme, "support", null) with { CallDuration = TimeSpan.FromSeconds(2) });
        await cache.StoreAsync(Store("t1", "second question", Acme, "support", null) with { CallDuration = TimeSpan.FromSeconds(4) });

        await cache.LookupAsync(Lookup("t1", "first question", Acme, "support"));
        await cache.LookupAsync(Lookup("t1", "second question", Acme, "support"));
        await cache.LookupAsync(Lookup("t1", "unknown question", Acme, "support"));

        // Mean stored call 3 s, two hits: 6 s saved; the miss saves nothing.
        Assert.Equal(TimeSpan.FromSeconds(6), Assert.Single((await cache.GetStatsAsync("t1")).Costs).LatencySaved);
    }

    [Fact]
    public async Task Crossing_a_spend_budget_raises_the_alert_metric_until_the_window_ends()
    {
        await using var cache = Open(o => o.Budgets.Add("support-daily", new CacheBudget { Tenant = "t1", Feature = "support", MaxSpend = 0.01, Window = TimeSpan.FromDays(1) }));
        using var metrics = new MetricsProbe(_meters);

        for (var i = 0; i < 2; i++) { await cache.StoreAsync(Store("t1", $"question {i}", Acme, "support", new CacheUsage(1_000, 250, 0))); }
        await cache.StoreAsync(Store("t1", "question other feature", Acme, "search", new CacheUsage(1_000, 250, 0)));
        Assert.Equal(0, metrics.Gauge("semcache.budget.breached", "support-daily", "spend"));
        Assert.Equal(0, metrics.Total("semcache.budget.alerts"));

        await cache.StoreAsync(Store("t1", "question 3", Acme, "support", new CacheUsage(1_000, 250, 0)));
        var budget = Assert.Single((await cache.GetStatsAsync("t1")).Budgets);

        // 3 x $0.004 = $0.012 > $0.01; the answer stored under another feature does not count.
        Assert.Equal(1, metrics.Gauge("semcache.budget.breached", "support-daily", "spend"));
        Assert.Equal(1, metrics.Total("semcache.budget.alerts"));
        Assert.True(budget.SpendExceeded);
        Assert.Equal(0.012, budget.Spend, 9);

        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(0, metrics.Gauge("semcache.budget.breached", "support-daily", "spend"));
    }

    [Fact]
    public async Task A_hit_rate_under_the_floor_alerts_only_once_enough_lookups_were_seen()
    {
        await using var cache = Open(o => o.Budgets.Add("floor", new CacheBudget { MinHitRate = 0.5, MinLookups = 4 }));
        using var metrics = new MetricsProbe(_meters);
        await cache.StoreAsync(Store("t1", "known question", Acme, null, null));

        await cache.LookupAsync(Lookup("t1", "known question", Acme, null));
        for (var i = 0; i < 2; i++) { await cache.LookupAsync(Lookup("t1", $"unknown {i}", Acme, null)); }
        Assert.Equal(0, metrics.Gauge("semcache.budget.breached", "floor", "hit_rate"));
        await cache.LookupAsync(Lookup("t1", "unknown 3", Acme, null));

        // 1 hit in 4 lookups = 25 % < 50 %.
        Assert.Equal(1, metrics.Gauge("semcache.budget.breached", "floor", "hit_rate"));
        Assert.True(Assert.Single((await cache.GetStatsAsync(null)).Budgets).HitRateBelowFloor);
    }

    [Fact]
    public async Task Feature_and_model_combinations_beyond_the_line_limit_are_folded_into_other()
    {
        await using var cache = Open(o => o.MaxCostLines = 2);

        for (var i = 0; i < 5; i++) { await cache.LookupAsync(Lookup("t1", "q", Acme, $"feature-{i}")); }
        var lines = (await cache.GetStatsAsync("t1")).Costs;

        Assert.Equal(3, lines.Count);
        Assert.Equal(3, Assert.Single(lines, l => l.Feature == "(other)").Lookups);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("invalid")]
    public void A_pricing_file_that_cannot_be_used_fails_the_start_naming_the_option(string kind)
    {
        if (kind == "invalid") { File.WriteAllText(_pricingFile, """{"models":{"x":{"input":-1,"output":1}}}"""); }
        var path = kind == "missing" ? _pricingFile + ".absent" : _pricingFile;

        var e = Assert.Throws<OptionsValidationException>(() => TestCache.Create(o => o.PricingFile = path));

        Assert.Contains("SemanticCacheOptions.PricingFile", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_budget_that_could_never_alert_or_has_a_bad_window_is_refused()
    {
        var e = Assert.Throws<OptionsValidationException>(() => TestCache.Create(o =>
        {
            o.Budgets.Add("nothing", new CacheBudget());
            o.Budgets.Add("short", new CacheBudget { MaxSpend = 1, Window = TimeSpan.FromSeconds(5) });
        }));

        Assert.Contains("Budgets[nothing] sets neither MaxSpend nor MinHitRate", e.Message, StringComparison.Ordinal);
        Assert.Contains("Budgets[short].Window", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_feature_name_with_control_characters_is_refused()
    {
        await using var cache = Open();

        var e = await Assert.ThrowsAsync<ArgumentException>(async () => await cache.LookupAsync(Lookup("t1", "q", Acme, "bad\nfeature")));

        Assert.Equal("Feature", e.ParamName);
    }

    public void Dispose()
    {
        File.Delete(_pricingFile);
        _meters.Dispose();
    }

    [Fact]
    public async Task A_batch_lookup_is_accounted_like_the_single_lookups_it_stands_for()
    {
        // LookupBatchAsync (batch path) and cost accounting were written apart: each lookup of a batch must reach the
        // ledger exactly as LookupAsync would record it (feature, model, hit or miss, money saved).
        await using var cache = Open();
        await cache.StoreAsync(Store("t1", "How do I reset my password?", Acme, "support", new CacheUsage(1_000, 250, 0)));

        var results = await cache.LookupBatchAsync(
        [
            Lookup("t1", "How do I reset my password?", Acme, "support"),
            Lookup("t1", "What colour is the logo?", Acme, "support"),
            Lookup("t1", "How do I reset my password?", Acme, "billing"),
        ]);

        Assert.Equal([CacheHitKind.Exact, CacheHitKind.Miss, CacheHitKind.Exact], results.Select(r => r.Kind));
        var t1 = await cache.GetStatsAsync("t1");
        var support = Assert.Single(t1.Costs, l => l.Feature == "support");
        Assert.Equal((2L, 1L, 1L), (support.Lookups, support.ExactHits, support.Misses));

        // $0.004 per answer (see the worked example above), saved once per feature.
        Assert.Equal(0.004, support.CostSaved, 9);
        var billing = Assert.Single(t1.Costs, l => l.Feature == "billing");
        Assert.Equal((1L, 1L, 0.004), (billing.Lookups, billing.ExactHits, Math.Round(billing.CostSaved, 9)));
    }

    private SemanticCache Open(Action<SemanticCacheOptions>? configure = null) =>
        new(TestCache.Options(o =>
        {
            o.PricingFile = _pricingFile;
            configure?.Invoke(o);
        }), TestCache.SmallStore(), new BagOfWordsEmbedder(TestCache.Dims), timeProvider: _time, meterFactory: _meters);

    private static CacheStoreRequest Store(string tenant, string prompt, CacheScope scope, string? feature, CacheUsage? usage) =>
        new() { Tenant = tenant, Scope = scope, Prompt = prompt, Response = "answer to " + prompt, Feature = feature, Usage = usage };

    private static CacheLookupRequest Lookup(string tenant, string prompt, CacheScope scope, string? feature) =>
        new() { Tenant = tenant, Scope = scope, Prompt = prompt, Feature = feature, Mode = CacheLookupMode.ExactOnly };

    /// <summary>Meters of one engine only, so tests running in parallel do not see each other's measurements.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            lock (_meters) { _meters.Add(meter); }
            return meter;
        }

        public void Dispose()
        {
            lock (_meters) { _meters.ForEach(m => m.Dispose()); }
        }
    }

    private sealed class MetricsProbe : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly Dictionary<string, double> _totals = [];
        private readonly Dictionary<string, double> _gauges = [];

        public MetricsProbe(TestMeterFactory factory)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Scope == factory) { listener.EnableMeasurementEvents(instrument); }
            };
            _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Record(i, value, tags));
            _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Record(i, value, tags));
            _listener.Start();
        }

        public double Total(string name)
        {
            lock (_totals) { return _totals.GetValueOrDefault(name); }
        }

        public double Gauge(string name, string budget, string kind)
        {
            lock (_gauges)
            {
                _gauges.Clear();
                _listener.RecordObservableInstruments();
                return _gauges.TryGetValue($"{name}|{budget}|{kind}", out var v) ? v : double.NaN;
            }
        }

        public void Dispose() => _listener.Dispose();

        private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (instrument.GetType().Name.StartsWith("Observable", StringComparison.Ordinal))
            {
                string? budget = null, kind = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "budget") { budget = tag.Value as string; }
                    if (tag.Key == "kind") { kind = tag.Value as string; }
                }

                _gauges[$"{instrument.Name}|{budget}|{kind}"] = value;
                return;
            }

            lock (_totals) { _totals[instrument.Name] = _totals.GetValueOrDefault(instrument.Name) + value; }
        }
    }
}
