using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace SemCache.Telemetry;

/// <summary>
/// Instruments of the engine, after the OpenTelemetry semantic conventions: durations in seconds,
/// histograms with explicit bucket boundaries (the SDK's defaults start at 5 ms and would put every
/// lookup in the first bucket; similarities are 0 to 1), one outcome attribute
/// (<c>semcache.lookup.outcome</c>: exact, semantic or miss) and <c>gen_ai.request.model</c> where
/// the model is known. The meter and activity source are named <c>SemCache</c>; the server exports
/// them through OpenTelemetry. Tenant names are not used as attributes: they are unbounded.
/// </summary>
internal sealed class SemCacheTelemetry : IDisposable
{
    public const string Name = "SemCache";

    /// <summary>The one attribute that says how a lookup ended.</summary>
    public const string OutcomeAttribute = "semcache.lookup.outcome";

    /// <summary>The model of the request's scope (OpenTelemetry GenAI convention).</summary>
    public const string ModelAttribute = "gen_ai.request.model";

    /// <summary>Spans of a lookup: the whole lookup, and inside it embedding, index search, verification and a store.</summary>
    public const string LookupSpan = "semcache.lookup";
    public const string EmbedSpan = "semcache.embed";
    public const string SearchSpan = "semcache.search";
    public const string VerifySpan = "semcache.verify";
    public const string StoreSpan = "semcache.store";

    /// <summary>
    /// Seconds: 25 µs to 10 s. Lookups served from memory take tens to hundreds of microseconds,
    /// embedding on a CPU milliseconds, a cold store on a busy disk up to seconds.
    /// </summary>
    public static readonly IReadOnlyList<double> DurationBuckets =
        [0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>Cosine similarity from 0 to 1, finer where hits are decided (0.8 and above).</summary>
    public static readonly IReadOnlyList<double> SimilarityBuckets =
        [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 1];

    public static readonly ActivitySource ActivitySource = new(Name);

    private readonly Meter _meter;

    public SemCacheTelemetry(IMeterFactory? meterFactory, Func<long> entries, Func<long> bytes)
    {
        _meter = meterFactory?.Create(Name) ?? new Meter(Name);
        Lookups = _meter.CreateCounter<long>("semcache.lookups", "{lookup}", "Lookups by outcome (exact, semantic, miss).");
        LookupDuration = _meter.CreateHistogram("semcache.lookup.duration", "s", "Engine time of a lookup, embedding included.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        HitSimilarity = _meter.CreateHistogram("semcache.hit.similarity", "1", "Cosine similarity of served semantic hits.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SimilarityBuckets });
        NearMissSimilarity = _meter.CreateHistogram("semcache.near_miss.similarity", "1", "Best similarity of semantic misses.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SimilarityBuckets });
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

    /// <summary>The outcome's attribute value.</summary>
    public static string OutcomeName(CacheHitKind kind) => kind switch
    {
        CacheHitKind.Exact => "exact",
        CacheHitKind.Semantic => "semantic",
        _ => "miss",
    };

    /// <summary>Counts a lookup and records its duration in seconds, by outcome and model.</summary>
    public void RecordLookup(CacheHitKind kind, TimeSpan elapsed, string? model)
    {
        var tags = new TagList { { OutcomeAttribute, OutcomeName(kind) } };
        if (!string.IsNullOrEmpty(model))
        {
            tags.Add(ModelAttribute, model);
        }

        Lookups.Add(1, tags);
        LookupDuration.Record(elapsed.TotalSeconds, tags);
    }

    public void Dispose() => _meter.Dispose();
}
