using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SemCache.ClusterBench;

/// <summary>One configuration's figures.</summary>
/// <param name="Name">single (plain node), cluster-1 (one silo) or cluster-3 (three silos, two replicas).</param>
/// <param name="LookupsPerSecond">Exact-hit lookups per second with the concurrent clients.</param>
/// <param name="P50Ms">Median latency under that load, in milliseconds.</param>
/// <param name="P99Ms">99th-percentile latency under that load.</param>
/// <param name="SequentialMeanUs">Mean latency of one client calling one after another (no queueing), in microseconds.</param>
/// <param name="ForwardedShare">Share of API calls whose group grain was on another silo (cluster modes), from the silos' counters.</param>
internal sealed record LoadFigures(string Name, double LookupsPerSecond, double P50Ms, double P99Ms, double SequentialMeanUs, double? ForwardedShare);

/// <summary>
/// The same lookup load against a plain node, a one-silo cluster and a three-silo cluster, one after the
/// other in one run: throughput and p99 side by side, and the cost of forwarding a call to another silo.
/// Clients spread their calls over every process (as a load balancer would).
/// </summary>
internal static class LoadRun
{
    public static async Task<JsonObject> RunAsync(int entries, int clients, TimeSpan duration, int sequential, TextWriter log, CancellationToken cancellationToken)
    {
        var single = await MeasureAsync("single", 1, cluster: false, replicas: 1, entries, clients, duration, sequential, log, cancellationToken).ConfigureAwait(false);
        var one = await MeasureAsync("cluster-1", 1, cluster: true, replicas: 1, entries, clients, duration, sequential, log, cancellationToken).ConfigureAwait(false);
        var three = await MeasureAsync("cluster-3", 3, cluster: true, replicas: 2, entries, clients, duration, sequential, log, cancellationToken).ConfigureAwait(false);

        // The extra latency of a three-silo cluster over a one-silo cluster, paid by the forwarded calls only.
        var forwardingUs = three.ForwardedShare is > 0 ? (three.SequentialMeanUs - one.SequentialMeanUs) / three.ForwardedShare.Value : double.NaN;
        var result = new JsonObject
        {
            ["processor_count"] = Environment.ProcessorCount,
            ["entries"] = entries,
            ["clients"] = clients,
            ["seconds"] = duration.TotalSeconds,
        };
        foreach (var f in new[] { single, one, three })
        {
            result[f.Name] = new JsonObject
            {
                ["lookups_per_s"] = Math.Round(f.LookupsPerSecond),
                ["p50_ms"] = Math.Round(f.P50Ms, 3),
                ["p99_ms"] = Math.Round(f.P99Ms, 3),
                ["sequential_mean_us"] = Math.Round(f.SequentialMeanUs, 1),
                ["forwarded_share"] = f.ForwardedShare is { } s ? Math.Round(s, 3) : null,
            };
        }

        result["throughput_ratio_cluster3_vs_single"] = Math.Round(three.LookupsPerSecond / single.LookupsPerSecond, 3);
        result["throughput_ratio_cluster1_vs_single"] = Math.Round(one.LookupsPerSecond / single.LookupsPerSecond, 3);
        result["p99_ratio_cluster3_vs_single"] = Math.Round(three.P99Ms / single.P99Ms, 3);
        result["grain_hop_cost_us_per_call"] = Math.Round(one.SequentialMeanUs - single.SequentialMeanUs, 1);
        result["forwarding_cost_us_per_forwarded_call"] = double.IsNaN(forwardingUs) ? null : Math.Round(forwardingUs, 1);
        return result;
    }

    private static async Task<LoadFigures> MeasureAsync(
        string name, int processes, bool cluster, int replicas, int entries, int clients, TimeSpan duration, int sequential, TextWriter log, CancellationToken cancellationToken)
    {
        log.WriteLine($"load: {name}: starting {processes} process(es)");
        await using var loopback = await LoopbackCluster.StartAsync(processes, cluster, replicas, log, cancellationToken).ConfigureAwait(false);
        var nodes = loopback.Nodes;
        for (var i = 0; i < entries; i++)
        {
            await RetryAsync(() => nodes[i % nodes.Count].Client.StoreAsync(Store(i), cancellationToken).AsTask(), cancellationToken).ConfigureAwait(false);
        }

        // Warm-up: every group activated and every path jitted before anything is measured.
        await LoadAsync(nodes, entries, clients, TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
        var before = cluster ? await CountersAsync(nodes[0], cancellationToken).ConfigureAwait(false) : default;
        var (perSecond, p50, p99) = await LoadAsync(nodes, entries, clients, duration, cancellationToken).ConfigureAwait(false);
        var after = cluster ? await CountersAsync(nodes[0], cancellationToken).ConfigureAwait(false) : default;

        var random = new Random(7);
        var watch = new Stopwatch();
        for (var k = 0; k < sequential; k++)
        {
            var i = random.Next(entries);
            watch.Start();
            await nodes[k % nodes.Count].Client.LookupAsync(Lookup(i), cancellationToken).ConfigureAwait(false);
            watch.Stop();
        }

        var forwarded = after.Forwarded - before.Forwarded;
        var total = forwarded + after.Local - before.Local;
        double? share = cluster && total > 0 ? (double)forwarded / total : null;
        var figures = new LoadFigures(name, perSecond, p50, p99, watch.Elapsed.TotalMicroseconds / sequential, share);
        log.WriteLine($"load: {figures}");
        return figures;
    }

    private static async Task<(double PerSecond, double P50, double P99)> LoadAsync(
        IReadOnlyList<LoopbackCluster.Node> nodes, int entries, int clients, TimeSpan duration, CancellationToken cancellationToken)
    {
        var latencies = new List<double>[clients];
        var started = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var mine = latencies[c] = new List<double>(4096);
            var random = new Random(1000 + c);
            var k = c;
            while (started.Elapsed < duration)
            {
                var i = random.Next(entries);
                var t = Stopwatch.GetTimestamp();
                var found = await nodes[k++ % nodes.Count].Client.LookupAsync(Lookup(i), cancellationToken).ConfigureAwait(false);
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                if (!found.IsHit) { throw new InvalidOperationException($"entry {i} missed under load: {string.Join(",", found.Reasons)}"); }
            }
        }, cancellationToken))).ConfigureAwait(false);
        var seconds = started.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return (all.Length / seconds, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static async Task<(long Forwarded, long Local)> CountersAsync(LoopbackCluster.Node node, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{node.HttpPort}/api/cluster"), cancellationToken).ConfigureAwait(false);
        var view = JsonNode.Parse(text)!;
        long forwarded = 0, local = 0;
        foreach (var silo in view["silos"]!.AsArray())
        {
            forwarded += silo!["forwardedCalls"]!.GetValue<long>();
            local += silo["localCalls"]!.GetValue<long>();
        }

        return (forwarded, local);
    }

    private static async Task RetryAsync(Func<Task> call, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                await call().ConfigureAwait(false);
                return;
            }
            catch (global::Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
            {
                // Silos still joining: a store needs its replicas.
                await Task.Delay(250, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static readonly CacheScope Scope = new() { Model = "load-model" };

    private static CacheStoreRequest Store(int i) => new()
    {
        Tenant = "default",
        Scope = Scope with { Extra = new Dictionary<string, string> { ["user"] = "u" + (i % 64).ToString(CultureInfo.InvariantCulture) } },
        Prompt = "prompt " + i.ToString(CultureInfo.InvariantCulture),
        Response = "answer " + i.ToString(CultureInfo.InvariantCulture),
        Vector = LoopbackCluster.Vector(i),
    };

    private static CacheLookupRequest Lookup(int i) => new()
    {
        Tenant = "default",
        Scope = Scope with { Extra = new Dictionary<string, string> { ["user"] = "u" + (i % 64).ToString(CultureInfo.InvariantCulture) } },
        Prompt = "prompt " + i.ToString(CultureInfo.InvariantCulture),
        Vector = LoopbackCluster.Vector(i),
    };
}
