using System.Diagnostics.Metrics;

namespace SemCache.Prefix;

/// <summary>Instruments of the prefix index on the <c>SemCache</c> meter: how well predicted cache reads match providers' reports.</summary>
internal sealed class PrefixTelemetry : IDisposable
{
    private readonly Meter _meter;

    public PrefixTelemetry(IMeterFactory? meterFactory)
    {
        _meter = meterFactory?.Create(Telemetry.SemCacheTelemetry.Name) ?? new Meter(Telemetry.SemCacheTelemetry.Name);
        Predicted = _meter.CreateCounter<long>("semcache.prefix.cached_tokens.predicted", "{token}", "Cached input tokens SemCache predicted for reported requests.");
        Reported = _meter.CreateCounter<long>("semcache.prefix.cached_tokens.reported", "{token}", "Cached input tokens providers reported for the same requests.");
        Error = _meter.CreateHistogram<long>("semcache.prefix.cached_tokens.error", "{token}", "Reported minus predicted cached tokens per request.");
        Matches = _meter.CreateCounter<long>("semcache.prefix.matches", "{request}", "Prefix match requests.");
    }

    public Counter<long> Predicted { get; }
    public Counter<long> Reported { get; }
    public Histogram<long> Error { get; }
    public Counter<long> Matches { get; }

    public void Dispose() => _meter.Dispose();
}
