using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace SemCache.Server.Dashboard;

/// <summary>
/// Aggregates what the dashboard draws, lock-free on the lookup path: outcome counters, savings, a
/// log-scale latency histogram, similarity histograms of hits and near-misses, veto reasons, and a
/// ring of periodic samples for the hit-rate-over-time chart.
/// </summary>
internal sealed class DashboardRecorder
{
    public const int SimilarityBuckets = 20;
    private const int MaxReasons = 64;
    private const int MaxSamples = 720;

    // Latency buckets grow by 25 % from 1 µs: 96 of them reach past 2 minutes.
    private const int LatencyBuckets = 96;
    private const double LatencyGrowth = 1.25;

    private readonly TimeProvider _time;
    private readonly long[] _latency = new long[LatencyBuckets];
    private readonly long[] _hitSimilarity = new long[SimilarityBuckets];
    private readonly long[] _missSimilarity = new long[SimilarityBuckets];
    private readonly ConcurrentDictionary<string, long> _reasons = new(StringComparer.Ordinal);
    private readonly Lock _samplesLock = new();
    private readonly Queue<DashboardSample> _samples = new();
    private long _exact;
    private long _semantic;
    private long _misses;
    private long _deadlineMisses;
    private long _stores;
    private long _tokensSaved;
    private long _costSavedMicros;

    public DashboardRecorder(TimeProvider time, IOptions<ServerOptions> options)
    {
        _time = time;
        SampleInterval = options.Value.DashboardSampleInterval;
    }

    public TimeSpan SampleInterval { get; }

    public void RecordLookup(CacheLookupResult result, TimeSpan elapsed)
    {
        Interlocked.Increment(ref _latency[LatencyBucket(elapsed)]);
        switch (result.Kind)
        {
            case CacheHitKind.Exact:
                Interlocked.Increment(ref _exact);
                break;
            case CacheHitKind.Semantic:
                Interlocked.Increment(ref _semantic);
                break;
            default:
                Interlocked.Increment(ref _misses);
                break;
        }

        if (result.IsHit)
        {
            Interlocked.Increment(ref _hitSimilarity[SimilarityBucket(result.Similarity)]);
            if (result.Usage is { } usage)
            {
                Interlocked.Add(ref _tokensSaved, Math.Max(0, usage.InputTokens) + Math.Max(0, usage.OutputTokens));
                if (double.IsFinite(usage.Cost) && usage.Cost > 0)
                {
                    Interlocked.Add(ref _costSavedMicros, (long)Math.Min(usage.Cost * 1e6, long.MaxValue / 4));
                }
            }
        }
        else if (result.Similarity > 0 && float.IsFinite(result.Similarity))
        {
            Interlocked.Increment(ref _missSimilarity[SimilarityBucket(result.Similarity)]);
        }

        for (var i = 0; i < result.Reasons.Count; i++)
        {
            var reason = result.Reasons[i];
            if (reason == "deadline")
            {
                Interlocked.Increment(ref _deadlineMisses);
            }
            else if (reason.StartsWith("veto:", StringComparison.Ordinal) && (_reasons.Count < MaxReasons || _reasons.ContainsKey(reason)))
            {
                _reasons.AddOrUpdate(reason, 1, static (_, n) => n + 1);
            }
        }
    }

    public void RecordStore() => Interlocked.Increment(ref _stores);

    /// <summary>Appends a sample of the cumulative counters; the page derives rates from consecutive samples.</summary>
    public void Sample()
    {
        var sample = Current();
        lock (_samplesLock)
        {
            _samples.Enqueue(sample);
            while (_samples.Count > MaxSamples)
            {
                _samples.Dequeue();
            }
        }
    }

    public DashboardSample Current() => new(
        _time.GetUtcNow().ToUnixTimeMilliseconds(),
        Volatile.Read(ref _exact),
        Volatile.Read(ref _semantic),
        Volatile.Read(ref _misses),
        Volatile.Read(ref _stores),
        Volatile.Read(ref _tokensSaved),
        Volatile.Read(ref _costSavedMicros) / 1e6);

    public IReadOnlyList<DashboardSample> Samples()
    {
        lock (_samplesLock)
        {
            return [.. _samples, Current()];
        }
    }

    public long DeadlineMisses => Volatile.Read(ref _deadlineMisses);

    public long[] HitSimilarity() => Snapshot(_hitSimilarity);

    public long[] MissSimilarity() => Snapshot(_missSimilarity);

    public IReadOnlyDictionary<string, long> Reasons() => new SortedDictionary<string, long>(_reasons, StringComparer.Ordinal);

    /// <summary>Latency percentiles in milliseconds (upper bucket bounds, so at most 25 % high).</summary>
    public IReadOnlyDictionary<string, double> LatencyPercentiles()
    {
        var counts = Snapshot(_latency);
        var total = counts.Sum();
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, q) in new[] { ("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("p999", 0.999) })
        {
            result[name] = total == 0 ? 0 : BucketUpperMs(IndexOfQuantile(counts, total, q));
        }

        return result;
    }

    private static int IndexOfQuantile(long[] counts, long total, double q)
    {
        var rank = (long)Math.Ceiling(q * total);
        long seen = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return i;
            }
        }

        return counts.Length - 1;
    }

    private static double BucketUpperMs(int index) => Math.Pow(LatencyGrowth, index + 1) / 1000.0;

    private static int LatencyBucket(TimeSpan elapsed)
    {
        var micros = elapsed.Ticks / 10.0;
        if (micros <= 1)
        {
            return 0;
        }

        var index = (int)Math.Ceiling(Math.Log(micros) / Math.Log(LatencyGrowth)) - 1;
        return Math.Clamp(index, 0, LatencyBuckets - 1);
    }

    private static int SimilarityBucket(float similarity) =>
        Math.Clamp((int)(similarity * SimilarityBuckets), 0, SimilarityBuckets - 1);

    private static long[] Snapshot(long[] source)
    {
        var copy = new long[source.Length];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = Volatile.Read(ref source[i]);
        }

        return copy;
    }
}

/// <summary>Cumulative counters at one moment.</summary>
internal sealed record DashboardSample(long Time, long Exact, long Semantic, long Misses, long Stores, long TokensSaved, double CostSaved);
