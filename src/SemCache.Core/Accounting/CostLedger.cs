using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace SemCache.Accounting;

/// <summary>
/// Cost accounting of the engine: lookups, hits, tokens and money saved, and the spend of stored misses, per tenant,
/// feature and model; savings over time; budgets and hit-rate floors. Prices come from the one
/// <see cref="PricingTable"/> (the shipped table, extended by <see cref="SemanticCacheOptions.PricingFile"/>).
/// </summary>
/// <remarks>
/// Everything here is bounded: at most <see cref="SemanticCacheOptions.MaxCostLines"/> lines (later combinations
/// are folded into feature and model <c>(other)</c>), a fixed ring of <see cref="Buckets"/> intervals, and one state
/// per configured budget. Feature and model names become metric tags only through these bounded lines.
/// </remarks>
internal sealed partial class CostLedger : IDisposable
{
    /// <summary>Name under which combinations beyond the line limit are counted.</summary>
    public const string Other = "(other)";

    public const int MaxFeatureLength = 128;

    /// <summary>Length of one interval of the savings series.</summary>
    public static readonly TimeSpan BucketLength = TimeSpan.FromMinutes(5);

    /// <summary>Intervals kept: 24 hours of 5-minute points.</summary>
    public const int Buckets = 288;

    private readonly ConcurrentDictionary<LineKey, Line> _lines = new();
    private readonly int _maxLines;
    private readonly Bucket[] _ring = new Bucket[Buckets];
    private readonly BudgetState[] _budgets;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Meter _meter;
    private readonly Counter<long> _featureLookups;
    private readonly Counter<double> _featureCostSaved;
    private readonly Counter<double> _featureSpend;
    private readonly Counter<long> _budgetAlerts;

    public CostLedger(SemanticCacheOptions options, IMeterFactory? meterFactory, ILogger logger, TimeProvider time)
    {
        Pricing = LoadPricing(options.PricingFile);
        _maxLines = options.MaxCostLines;
        _logger = logger;
        _time = time;
        _budgets = [.. options.Budgets.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => new BudgetState(b.Key, b.Value))];
        for (var i = 0; i < _ring.Length; i++) { _ring[i] = new Bucket(); }

        // The engine's meter name: the server's OpenTelemetry registration exports it with the engine's instruments.
        _meter = meterFactory?.Create(Telemetry.SemCacheTelemetry.Name) ?? new Meter(Telemetry.SemCacheTelemetry.Name);
        _featureLookups = _meter.CreateCounter<long>("semcache.feature.lookups", "{lookup}", "Lookups by feature, model and result (exact, semantic, miss).");
        _featureCostSaved = _meter.CreateCounter<double>("semcache.feature.cost_saved", "{currency}", "Money hits saved, by feature and model, priced by the pricing table.");
        _featureSpend = _meter.CreateCounter<double>("semcache.feature.spend", "{currency}", "Money the stored misses cost, by feature and model.");
        _budgetAlerts = _meter.CreateCounter<long>("semcache.budget.alerts", "{alert}", "Budget crossings (kind: spend or hit_rate).");
        _meter.CreateObservableGauge("semcache.budget.breached", BreachedMeasurements, "1", "1 while a budget's current window is over its spend or under its hit-rate floor, by budget and kind.");
        _meter.CreateObservableGauge("semcache.budget.spend", () => _budgets.Select(b => new Measurement<double>(b.Snapshot(Now).Spend, Tag("budget", b.Name))), "{currency}", "Spend of the budget's current window.");
        _meter.CreateObservableGauge("semcache.budget.hit_rate", () => _budgets.Select(b => new Measurement<double>(b.Snapshot(Now).HitRate, Tag("budget", b.Name))), "1", "Hit rate of the budget's current window.");
    }

    public PricingTable Pricing { get; }

    private DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>The shipped table, extended or overridden by the file when one is configured.</summary>
    public static PricingTable LoadPricing(string? file) =>
        string.IsNullOrWhiteSpace(file) ? PricingTable.Default : PricingTable.Default.With(PricingTable.Load(file));

    public static void ValidateFeature(string? feature, string field = "Feature")
    {
        if (feature is null) { return; }
        if (feature.Length > MaxFeatureLength)
        {
            throw new ArgumentException($"{field} is {feature.Length} characters long; at most {MaxFeatureLength} are allowed.", field);
        }

        foreach (var c in feature)
        {
            if (char.IsControl(c) || char.IsSurrogate(c)) { throw new ArgumentException($"{field} contains a control or surrogate character (U+{(int)c:X4}).", field); }
        }
    }

    /// <summary>
    /// The usage as it will be stored: a reported cost is what the application paid and wins; tokens reported without a
    /// cost are priced by the table, so money saved is known for them too.
    /// </summary>
    public CacheUsage? Priced(string model, CacheUsage? usage) =>
        usage is { Cost: 0 } u && (u.InputTokens > 0 || u.OutputTokens > 0) && Pricing.CostOf(model, u.InputTokens, u.OutputTokens) is { } cost
            ? u with { Cost = cost }
            : usage;

    public void RecordLookup(string tenant, string? feature, string model, CacheLookupResult result)
    {
        var (key, line) = Resolve(tenant, feature, model);
        Interlocked.Increment(ref line.Lookups);
        long tokens = 0;
        double saved = 0;
        switch (result.Kind)
        {
            case CacheHitKind.Exact: Interlocked.Increment(ref line.ExactHits); break;
            case CacheHitKind.Semantic: Interlocked.Increment(ref line.SemanticHits); break;
            default: Interlocked.Increment(ref line.Misses); break;
        }

        if (result.IsHit && result.Usage is { } usage)
        {
            tokens = usage.InputTokens + usage.OutputTokens;
            saved = usage.Cost;
            Interlocked.Add(ref line.TokensSaved, tokens);
            Interlocked.Add(ref line.CostSavedMicros, Micros(saved));
        }

        var now = Now;
        BucketFor(now).Add(1, result.IsHit ? 1 : 0, tokens, Micros(saved), 0);
        _featureLookups.Add(1, Tag("feature", key.Feature), Tag("model", key.Model), Tag("result", KindName(result.Kind)));
        if (saved > 0) { _featureCostSaved.Add(saved, Tag("feature", key.Feature), Tag("model", key.Model)); }
        foreach (var budget in _budgets)
        {
            if (budget.Watches(tenant, feature)) { Alert(budget, budget.AddLookup(now, result.IsHit)); }
        }
    }

    public void RecordStore(string tenant, string? feature, string model, CacheUsage? usage, TimeSpan? callDuration)
    {
        var (key, line) = Resolve(tenant, feature, model);
        Interlocked.Increment(ref line.Stores);
        if (callDuration is { Ticks: > 0 } d)
        {
            Interlocked.Add(ref line.CallTicks, d.Ticks);
            Interlocked.Increment(ref line.TimedStores);
        }

        var spend = usage?.Cost ?? 0;
        Interlocked.Add(ref line.SpendMicros, Micros(spend));
        var now = Now;
        BucketFor(now).Add(0, 0, 0, 0, Micros(spend));
        if (spend > 0) { _featureSpend.Add(spend, Tag("feature", key.Feature), Tag("model", key.Model)); }
        foreach (var budget in _budgets)
        {
            if (budget.Watches(tenant, feature)) { Alert(budget, budget.AddSpend(now, Micros(spend))); }
        }
    }

    /// <summary>Adds the cost lines, budgets and savings series of <paramref name="tenant"/> (or of everyone) to <paramref name="stats"/>.</summary>
    public CacheStats Fill(CacheStats stats, string? tenant)
    {
        var now = Now;
        var lines = _lines
            .Where(p => tenant is null || string.Equals(p.Key.Tenant, tenant, StringComparison.Ordinal))
            .Select(p => p.Value.Snapshot(p.Key))
            .OrderByDescending(l => l.CostSaved).ThenByDescending(l => l.Lookups).ThenBy(l => l.Tenant, StringComparer.Ordinal)
            .ThenBy(l => l.Feature, StringComparer.Ordinal).ThenBy(l => l.Model, StringComparer.Ordinal)
            .ToList();
        var budgets = _budgets.Where(b => tenant is null || b.Budget.Tenant is null || string.Equals(b.Budget.Tenant, tenant, StringComparison.Ordinal))
            .Select(b => b.Snapshot(now)).ToList();
        return stats with { Currency = Pricing.Currency, Costs = lines, Budgets = budgets, SavingsOverTime = Series(now) };
    }

    public void Dispose() => _meter.Dispose();

    /// <summary>
    /// The line of (tenant, feature, model). Traffic on one thread mostly repeats one combination, so the
    /// last one each thread resolved is remembered and compared by content (three ordinal compares of
    /// short strings) before the line map is asked (a hash of three strings and one or two lookups).
    /// Lines are never removed, so a remembered line never goes stale.
    /// </summary>
    private (LineKey Key, Line Line) Resolve(string tenant, string? feature, string model)
    {
        feature ??= string.Empty;
        if (t_last is { } last && ReferenceEquals(last.Ledger, this) && last.Matches(tenant, feature, model))
        {
            return (last.Key, last.Line);
        }

        var key = KeyFor(tenant, feature, model);
        var line = LineOf(key);
        t_last = new LastLine(this, tenant, feature, model, key, line);
        return (key, line);
    }

    /// <summary>
    /// The line this thread resolved last (one small object per thread; it keeps its ledger reachable
    /// until the thread records for another one).
    /// </summary>
    [ThreadStatic]
    private static LastLine? t_last;

    private sealed record LastLine(CostLedger Ledger, string Tenant, string Feature, string Model, LineKey Key, Line Line)
    {
        public bool Matches(string tenant, string feature, string model) =>
            string.Equals(Tenant, tenant, StringComparison.Ordinal) && string.Equals(Model, model, StringComparison.Ordinal)
            && string.Equals(Feature, feature, StringComparison.Ordinal);
    }

    private LineKey KeyFor(string tenant, string? feature, string model)
    {
        var key = new LineKey(tenant, feature ?? string.Empty, model);
        return _lines.ContainsKey(key) || _lines.Count < _maxLines ? key : new LineKey(tenant, Other, Other);
    }

    private Line LineOf(LineKey key) => _lines.GetOrAdd(key, static _ => new Line());

    private Bucket BucketFor(DateTimeOffset now)
    {
        var index = now.UtcTicks / BucketLength.Ticks;
        var bucket = _ring[(int)(index % Buckets)];
        bucket.Roll(index);
        return bucket;
    }

    private List<CacheSavingsPoint> Series(DateTimeOffset now)
    {
        var current = now.UtcTicks / BucketLength.Ticks;
        var points = new List<CacheSavingsPoint>();
        for (var index = current - Buckets + 1; index <= current; index++)
        {
            if (index < 0) { continue; }
            if (_ring[(int)(index % Buckets)].Read(index) is { } point) { points.Add(point); }
        }

        return points;
    }

    private void Alert(BudgetState budget, (bool Spend, bool HitRate) crossed)
    {
        if (crossed.Spend)
        {
            _budgetAlerts.Add(1, Tag("budget", budget.Name), Tag("kind", "spend"));
            var s = budget.Snapshot(Now);
            Log.SpendExceeded(_logger, budget.Name, s.Spend, budget.Budget.MaxSpend ?? 0, Pricing.Currency, budget.Budget.Window);
        }

        if (crossed.HitRate)
        {
            _budgetAlerts.Add(1, Tag("budget", budget.Name), Tag("kind", "hit_rate"));
            var s = budget.Snapshot(Now);
            Log.HitRateBelowFloor(_logger, budget.Name, s.HitRate, budget.Budget.MinHitRate ?? 0, s.Lookups);
        }
    }

    private IEnumerable<Measurement<long>> BreachedMeasurements()
    {
        var now = Now;
        foreach (var budget in _budgets)
        {
            var s = budget.Snapshot(now);
            if (budget.Budget.MaxSpend is not null) { yield return new Measurement<long>(s.SpendExceeded ? 1 : 0, Tag("budget", budget.Name), Tag("kind", "spend")); }
            if (budget.Budget.MinHitRate is not null) { yield return new Measurement<long>(s.HitRateBelowFloor ? 1 : 0, Tag("budget", budget.Name), Tag("kind", "hit_rate")); }
        }
    }

    internal static long Micros(double money) => double.IsFinite(money) && money > 0 ? (long)Math.Min(Math.Round(money * 1_000_000), long.MaxValue / 4) : 0;

    private static KeyValuePair<string, object?> Tag(string name, object? value) => new(name, value);

    private static string KindName(CacheHitKind kind) => kind switch
    {
        CacheHitKind.Exact => "exact",
        CacheHitKind.Semantic => "semantic",
        _ => "miss",
    };

    private readonly record struct LineKey(string Tenant, string Feature, string Model);

    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Budget {Budget}: spend {Spend} {Currency} is over its budget of {MaxSpend} per {Window}.")]
        public static partial void SpendExceeded(ILogger logger, string budget, double spend, double maxSpend, string currency, TimeSpan window);

        [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Budget {Budget}: hit rate {HitRate:P1} is under its floor of {MinHitRate:P1} after {Lookups} lookups.")]
        public static partial void HitRateBelowFloor(ILogger logger, string budget, double hitRate, double minHitRate, long lookups);
    }
}
