using System.Diagnostics.Metrics;
using Grpc.Core;

namespace SemCache.Server.Hosting;

/// <summary>The server's own instruments (meter <c>SemCache.Server</c>), next to the engine's <c>SemCache</c> meter.</summary>
internal sealed class ServerMetrics
{
    public const string MeterName = "SemCache.Server";

    private readonly Counter<long> _calls;
    private readonly Histogram<double> _callDuration;
    private readonly Counter<long> _lookups;

    public ServerMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _calls = meter.CreateCounter<long>("semcache.server.calls", "{call}", "gRPC calls by method and status.");
        _callDuration = meter.CreateHistogram(
            "semcache.server.call.duration",
            "s",
            "gRPC call duration by method.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SemCache.Telemetry.SemCacheTelemetry.DurationBuckets });
        _lookups = meter.CreateCounter<long>("semcache.server.lookups", "{lookup}", "Lookups answered by the server, by outcome (exact, semantic, miss).");
    }

    public void RecordCall(string method, StatusCode status, TimeSpan elapsed)
    {
        _calls.Add(1, new KeyValuePair<string, object?>("rpc.method", method), new KeyValuePair<string, object?>("rpc.grpc.status_code", (int)status));
        _callDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("rpc.method", method));
    }

    /// <summary>The same outcome attribute as the engine's <c>semcache.lookups</c>, so one query groups both.</summary>
    public void RecordLookup(CacheHitKind kind) =>
        _lookups.Add(1, new KeyValuePair<string, object?>(SemCache.Telemetry.SemCacheTelemetry.OutcomeAttribute, SemCache.Telemetry.SemCacheTelemetry.OutcomeName(kind)));
}
