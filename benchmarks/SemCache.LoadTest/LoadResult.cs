using System.Diagnostics;
using System.Text.Json;

namespace SemCache.LoadTest;

/// <summary>The one JSON line a run prints.</summary>
internal sealed record LoadResult
{
    public required int Clients { get; init; }

    public required double Seconds { get; init; }

    public required long Lookups { get; init; }

    public required double Throughput { get; init; }

    public required double P50Ms { get; init; }

    public required double P99Ms { get; init; }

    public required double P999Ms { get; init; }

    public required double HitRate { get; init; }

    public required double TargetHitRatio { get; init; }

    public required long ExactHits { get; init; }

    public required long SemanticHits { get; init; }

    public required long Errors { get; init; }

    public required string Mix { get; init; }

    public static LoadResult From(LoadOptions options, WorkerSamples[] workers, TimeSpan elapsed)
    {
        var ticks = workers.SelectMany(w => w.Ticks).ToArray();
        Array.Sort(ticks);
        var lookups = ticks.LongLength;
        var hits = workers.Sum(w => w.Exact + w.Semantic);
        return new LoadResult
        {
            Clients = options.Clients,
            Seconds = Math.Round(elapsed.TotalSeconds, 3),
            Lookups = lookups,
            Throughput = Math.Round(lookups / elapsed.TotalSeconds, 1),
            P50Ms = Percentile(ticks, 0.50),
            P99Ms = Percentile(ticks, 0.99),
            P999Ms = Percentile(ticks, 0.999),
            HitRate = lookups == 0 ? 0 : Math.Round((double)hits / lookups, 4),
            TargetHitRatio = options.HitRatio,
            ExactHits = workers.Sum(w => w.Exact),
            SemanticHits = workers.Sum(w => w.Semantic),
            Errors = workers.Sum(w => w.Errors),
            Mix = $"exact={options.Mix.Exact},semantic-text={options.Mix.SemanticText},semantic-vector={options.Mix.SemanticVector}",
        };
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    private static double Percentile(long[] sorted, double q)
    {
        if (sorted.Length == 0)
        {
            return 0;
        }

        var index = Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1);
        return Math.Round(sorted[Math.Max(0, index)] * 1000.0 / Stopwatch.Frequency, 3);
    }
}
