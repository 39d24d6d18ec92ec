using System.Diagnostics.Metrics;
using Grpc.Core;
using SemCache.Server.Auth;

namespace SemCache.Server.Hosting;

/// <summary>The server's own instruments (meter <c>SemCache.Server</c>), next to the engine's <c>SemCache</c> meter.</summary>
/// <remarks>
/// The counters are observable: a call adds one to a plain array cell (one atomic increment) and the
/// exporter reads the cells when it collects, so no call pays for the metrics SDK's tag lookup and
/// aggregation. Only the duration histogram is recorded per call, with a tag array built once per method.
/// Methods are the fixed set <see cref="MethodIndex"/> knows (anything else counts as <c>(unknown)</c>),
/// so a client sending made-up method names cannot grow the set of series.
/// </remarks>
internal sealed class ServerMetrics
{
    public const string MeterName = "SemCache.Server";

    /// <summary>The name under which calls to methods the server does not know are counted.</summary>
    public const string UnknownMethod = "(unknown)";

    private const int StatusCodes = (int)StatusCode.Unauthenticated + 1;

    private readonly string[] _methods;
    private readonly long[] _calls;
    private readonly KeyValuePair<string, object?>[][] _callTags;
    private readonly KeyValuePair<string, object?>[][] _durationTags;
    private readonly long[] _lookups = new long[3];
    private readonly KeyValuePair<string, object?>[][] _lookupTags;
    private readonly Histogram<double> _callDuration;

    public ServerMetrics(IMeterFactory meterFactory)
    {
        _methods = [.. MethodIndex.Methods, UnknownMethod];
        _calls = new long[_methods.Length * StatusCodes];
        _callTags = new KeyValuePair<string, object?>[_calls.Length][];
        for (var m = 0; m < _methods.Length; m++)
        {
            for (var s = 0; s < StatusCodes; s++)
            {
                _callTags[(m * StatusCodes) + s] = [new("rpc.method", _methods[m]), new("rpc.grpc.status_code", s)];
            }
        }

        _durationTags = [.. _methods.Select(m => new KeyValuePair<string, object?>[] { new("rpc.method", m) })];
        _lookupTags = [.. new[] { CacheHitKind.Miss, CacheHitKind.Exact, CacheHitKind.Semantic }.Select(k =>
            new KeyValuePair<string, object?>[] { new(SemCache.Telemetry.SemCacheTelemetry.OutcomeAttribute, SemCache.Telemetry.SemCacheTelemetry.OutcomeName(k)) })];

        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableCounter("semcache.server.calls", CallMeasurements, "{call}", "gRPC calls by method and status.");
        _callDuration = meter.CreateHistogram(
            "semcache.server.call.duration",
            "s",
            "gRPC call duration by method.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SemCache.Telemetry.SemCacheTelemetry.DurationBuckets });
        meter.CreateObservableCounter("semcache.server.lookups", LookupMeasurements, "{lookup}", "Lookups answered by the server, by outcome (exact, semantic, miss).");
    }

    /// <summary>Counts a call of the method at <paramref name="methodIndex"/> (<see cref="MethodIndex.Unknown"/> for any other) and records its duration.</summary>
    public void RecordCall(int methodIndex, StatusCode status, TimeSpan elapsed)
    {
        var m = (uint)methodIndex < (uint)MethodIndex.Methods.Count ? methodIndex : _methods.Length - 1;
        var s = (uint)status < StatusCodes ? (int)status : (int)StatusCode.Unknown;
        Interlocked.Increment(ref _calls[(m * StatusCodes) + s]);
        _callDuration.Record(elapsed.TotalSeconds, _durationTags[m]);
    }

    /// <summary>The same outcome attribute as the engine's <c>semcache.lookups</c>, so one query groups both.</summary>
    public void RecordLookup(CacheHitKind kind) => Interlocked.Increment(ref _lookups[LookupSlot(kind)]);

    /// <summary>Calls counted so far for one method and status (tests).</summary>
    internal long Calls(string method, StatusCode status)
    {
        var m = Array.IndexOf(_methods, method);
        return m < 0 ? 0 : Volatile.Read(ref _calls[(m * StatusCodes) + (int)status]);
    }

    private static int LookupSlot(CacheHitKind kind) => kind switch
    {
        CacheHitKind.Exact => 1,
        CacheHitKind.Semantic => 2,
        _ => 0,
    };

    private IEnumerable<Measurement<long>> CallMeasurements()
    {
        for (var i = 0; i < _calls.Length; i++)
        {
            if (Volatile.Read(ref _calls[i]) is > 0 and var n)
            {
                yield return new Measurement<long>(n, _callTags[i]);
            }
        }
    }

    private IEnumerable<Measurement<long>> LookupMeasurements()
    {
        for (var i = 0; i < _lookups.Length; i++)
        {
            if (Volatile.Read(ref _lookups[i]) is > 0 and var n)
            {
                yield return new Measurement<long>(n, _lookupTags[i]);
            }
        }
    }
}
