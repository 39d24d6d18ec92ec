using System.Diagnostics.Metrics;
using SemCache.Telemetry;

namespace SemCache.Tests.Telemetry;

public sealed class LookupMetricsTests
{
    [Fact]
    public void A_lookup_of_0_2_ms_is_recorded_in_seconds_and_lands_in_a_bucket_below_1_ms_with_one_outcome_attribute_and_the_model()
    {
        using var telemetry = new SemCacheTelemetry(null, () => 0, () => 0);
        var recorded = new List<(double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument, telemetry.LookupDuration))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            recorded.Add((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.Start();

        telemetry.RecordLookup(CacheHitKind.Exact, TimeSpan.FromMicroseconds(200), "gpt-test");

        var (value, attributes) = Assert.Single(recorded);
        var boundaries = telemetry.LookupDuration.Advice!.HistogramBucketBoundaries!;
        var bucketUpperBound = boundaries.First(b => value <= b);
        Assert.Equal(0.0002, value, 9);
        Assert.True(bucketUpperBound < 0.001, $"0.2 ms lands in the bucket up to {bucketUpperBound} s");
        Assert.Equal("exact", attributes[SemCacheTelemetry.OutcomeAttribute]);
        Assert.Equal("gpt-test", attributes[SemCacheTelemetry.ModelAttribute]);
        Assert.Equal(2, attributes.Count);
    }

    [Fact]
    public void Similarity_histograms_have_buckets_from_0_to_1()
    {
        using var telemetry = new SemCacheTelemetry(null, () => 0, () => 0);

        foreach (var histogram in new[] { telemetry.HitSimilarity, telemetry.NearMissSimilarity })
        {
            var boundaries = histogram.Advice!.HistogramBucketBoundaries!;
            Assert.Equal(1, boundaries[^1]);
            Assert.True(boundaries.Count(b => b >= 0.9) >= 5, "hits are decided above 0.9: the buckets must tell them apart");
            Assert.All(boundaries, b => Assert.InRange(b, 0, 1));
        }
    }
}
