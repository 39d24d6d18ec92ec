using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SemCache.Telemetry;

/// <summary>
/// Instruments of the engine. The meter and activity source are named <c>SemCache</c>; the server
/// exports them through OpenTelemetry. Tenant names are not used as tags: they are unbounded.
/// </summary>
internal sealed class SemCacheTelemetry : IDisposable
{
    public const string Name = "SemCache";

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;

    public SemCacheTelemetry(IMeterFactory? meterFactory, Func<long> entries, Func<long> bytes)
    {
        _meter = meterFactory?.Create(Name) ?? new Meter(Name);
        Lookups = _meter.CreateCounter<long>("semcache.lookups", "{lookup}", "Lookups by result (exact, semantic, miss).");
        LookupDuration = _meter.CreateHistogram<double>("semcache.lookup.duration", "ms", "Engine time of a lookup, embedding included.");
        HitSimilarity = _meter.CreateHistogram<double>("semcache.hit.similarity", "1", "Cosine similarity of served semantic hits.");
        NearMissSimilarity = _meter.CreateHistogram<double>("semcache.near_miss.similarity", "1", "Best similarity of semantic misses.");
        Vetoes = _meter.CreateCounter<long>("semcache.vetoes", "{veto}", "Candidates refused by the verifier, by rule.");
        Stores = _meter.CreateCounter<long>("semcache.stores", "{entry}", "Entries stored.");
        Removals = _meter.CreateCounter<long>("semcache.removals", "{entry}", "Entries removed, by reason (evicted, expired, invalidated, replaced).");
        TokensSaved = _meter.CreateCounter<long>("semcache.tokens_saved", "{token}", "Input plus output tokens that hits did not buy.");
        CostSaved = _meter.CreateCounter<double>("semcache.cost_saved", "{currency}", "Money that hits saved.");
        _meter.CreateObservableGauge("semcache.entries", entries, "{entry}", "Live entries.");
        _meter.CreateObservableGauge("semcache.bytes", bytes, "By", "Bytes held by live entries.");
    }

    public Counter<long> Lookups { get; }
    public Histogram<double> LookupDuration { get; }
    public Histogram<double> HitSimilarity { get; }
    public Histogram<double> NearMissSimilarity { get; }
    public Counter<long> Vetoes { get; }
    public Counter<long> Stores { get; }
    public Counter<long> Removals { get; }
    public Counter<long> TokensSaved { get; }
    public Counter<double> CostSaved { get; }

    public void Dispose() => _meter.Dispose();
}
