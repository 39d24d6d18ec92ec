using SemCache.Accounting;

namespace SemCache.Engine;

/// <summary>The engine's narrow calls into cost accounting (<see cref="CostLedger"/>), kept out of the lookup and store files.</summary>
internal sealed partial class SemanticCache
{
    private readonly CostLedger _costs;

    /// <summary>The pricing table in force (shipped prices, extended by <see cref="SemanticCacheOptions.PricingFile"/>).</summary>
    internal PricingTable Pricing => _costs.Pricing;

    private CostLedger OpenCosts(Microsoft.Extensions.Logging.ILogger logger, System.Diagnostics.Metrics.IMeterFactory? meterFactory) =>
        new(_options, meterFactory, logger, _time);

    private void RecordCosts(CacheLookupRequest request, CacheLookupResult result) =>
        _costs.RecordLookup(request.Tenant, request.Feature, request.Scope.Model, result);

    private void RecordCosts(string tenant, string? feature, CacheScope scope, CacheUsage? pricedUsage, TimeSpan? callDuration = null) =>
        _costs.RecordStore(tenant, feature, scope.Model, pricedUsage, callDuration);

    private CacheUsage? Priced(CacheScope scope, CacheUsage? usage) => _costs.Priced(scope.Model, usage);

    private CacheStats WithCosts(CacheStats stats, string? tenant) => _costs.Fill(stats, tenant);
}
