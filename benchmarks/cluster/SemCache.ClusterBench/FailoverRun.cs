using System.Collections.Concurrent;
using System.Text.Json;

namespace SemCache.ClusterBench;

/// <summary>What a failover run counted.</summary>
/// <param name="AcknowledgedStores">Stores that returned success (each has a unique prompt and answer).</param>
/// <param name="LostAcknowledged">Acknowledged stores not served by the surviving processes after the run.</param>
/// <param name="WrongHits">Hits whose answer was not the one stored for the prompt (during the run and the final check).</param>
/// <param name="LookupErrors">Lookups to live processes that failed instead of answering (hit or miss).</param>
/// <param name="Lookups">Lookups made during the run.</param>
/// <param name="Misses">Lookups of acknowledged prompts that missed during the run (allowed while groups re-activate).</param>
/// <param name="StoreErrors">Stores that failed (not acknowledged, so not checked).</param>
/// <param name="Killed">Index of the process killed with SIGKILL.</param>
/// <param name="SilosShown">Silos the dashboard's cluster view listed as reachable before the kill.</param>
internal sealed record FailoverResult(
    long AcknowledgedStores,
    long LostAcknowledged,
    long WrongHits,
    long LookupErrors,
    long Lookups,
    long Misses,
    long StoreErrors,
    int Killed,
    int SilosShown)
{
    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["acknowledged_stores"] = AcknowledgedStores,
        ["lost_acknowledged"] = LostAcknowledged,
        ["wrong_hits"] = WrongHits,
        ["lookup_errors"] = LookupErrors,
        ["lookups"] = Lookups,
        ["misses"] = Misses,
        ["store_errors"] = StoreErrors,
        ["killed_process"] = Killed,
        ["silos_on_dashboard"] = SilosShown,
    });
}

/// <summary>
/// Three cluster processes on loopback under a running load (writers and readers through every process);
/// one non-primary process is killed with SIGKILL mid-run; afterwards every acknowledged store must still be
/// served by the survivors, and no lookup may ever have returned another prompt's answer.
/// </summary>
internal static class FailoverRun
{
    // How long the final check waits for each group to re-activate: a hang detector, not a speed figure.
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(60);

    public static async Task<FailoverResult> RunAsync(TimeSpan before, TimeSpan after, int writers, int readers, TextWriter log, CancellationToken cancellationToken)
    {
        await using var cluster = await LoopbackCluster.StartAsync(3, cluster: true, replicas: 2, log, cancellationToken).ConfigureAwait(false);
        var nodes = cluster.Nodes;
        await WarmUpAsync(nodes, cancellationToken).ConfigureAwait(false);
        var silosShown = await SilosShownAsync(nodes[0], cancellationToken).ConfigureAwait(false);

        var acknowledged = new ConcurrentDictionary<int, long>();
        long next = 0, lookups = 0, misses = 0, wrong = 0, lookupErrors = 0, storeErrors = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task WriteLoop(int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var i = (int)Interlocked.Increment(ref next);
                var node = Pick(nodes, random);
                try
                {
                    var result = await node.Client.StoreAsync(Store(i), stop.Token).ConfigureAwait(false);
                    acknowledged[i] = result.EntryId;
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref storeErrors);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (global::Grpc.Core.RpcException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }

        async Task ReadLoop(int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                var known = Volatile.Read(ref next);
                if (known == 0) { await Task.Delay(10, stop.Token).ConfigureAwait(false); continue; }
                var i = random.Next(1, (int)known + 1);
                var node = Pick(nodes, random);
                try
                {
                    var found = await node.Client.LookupAsync(Lookup(i), stop.Token).ConfigureAwait(false);
                    Interlocked.Increment(ref lookups);
                    if (found.IsHit && found.Response != Answer(i))
                    {
                        Interlocked.Increment(ref wrong);
                        log.WriteLine($"failover: WRONG hit for prompt {i} through node {node.Index}: {found.Kind} {found.Similarity:F3} '{found.Response}'");
                    }
                    else if (!found.IsHit && acknowledged.ContainsKey(i)) { Interlocked.Increment(ref misses); }
                }
                catch (Exception) when (!stop.IsCancellationRequested)
                {
                    // Only calls to a process that was alive count: a load balancer stops sending to a dead one.
                    if (node.Alive)
                    {
                        Interlocked.Increment(ref lookups);
                        Interlocked.Increment(ref lookupErrors);
                    }
                }
                catch (Exception)
                {
                    return;
                }
            }
        }

        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(() => WriteLoop(100 + w)))
            .Concat(Enumerable.Range(0, readers).Select(r => Task.Run(() => ReadLoop(200 + r))))
            .ToArray();
        await Task.Delay(before, cancellationToken).ConfigureAwait(false);
        // Not the development-membership primary (node 0): its membership table is the cluster's.
        const int victim = 2;
        log.WriteLine($"failover: kill -9 node {victim} after {acknowledged.Count} acknowledged stores");
        nodes[victim].Kill();
        await Task.Delay(after, cancellationToken).ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(tasks).ConfigureAwait(false);

        var (lost, wrongAfter) = await VerifyAsync(nodes.Where(n => n.Alive).ToList(), acknowledged, log, cancellationToken).ConfigureAwait(false);
        return new FailoverResult(acknowledged.Count, lost, wrong + wrongAfter, lookupErrors, lookups, misses, storeErrors, victim, silosShown);
    }

    /// <summary>Every acknowledged store is asked for through the survivors, retrying misses until its group has re-activated.</summary>
    private static async Task<(long Lost, long Wrong)> VerifyAsync(List<LoopbackCluster.Node> survivors, ConcurrentDictionary<int, long> acknowledged, TextWriter log, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + SettleLimit;
        long lost = 0, wrong = 0;
        var k = 0;
        foreach (var (i, id) in acknowledged.OrderBy(p => p.Key))
        {
            var node = survivors[k++ % survivors.Count];
            while (true)
            {
                CacheLookupResult? found = null;
                try
                {
                    found = await node.Client.LookupAsync(Lookup(i), cancellationToken).ConfigureAwait(false);
                }
                catch (global::Grpc.Core.RpcException)
                {
                }

                if (found is { IsHit: true })
                {
                    if (found.Response != Answer(i) || found.EntryId != id) { wrong++; }
                    break;
                }

                if (DateTime.UtcNow > deadline)
                {
                    lost++;
                    break;
                }

                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
        }

        log.WriteLine($"failover: checked {acknowledged.Count} acknowledged stores through {survivors.Count} survivors: {lost} lost, {wrong} wrong");
        return (lost, wrong);
    }

    /// <summary>How many silos the dashboard's cluster view (<c>/api/cluster</c>) lists as reachable.</summary>
    private static async Task<int> SilosShownAsync(LoopbackCluster.Node node, CancellationToken cancellationToken)
    {
        using var http = new HttpClient();
        var view = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{node.HttpPort}/api/cluster"), cancellationToken).ConfigureAwait(false))!;
        return view["silos"]!.AsArray().Count(s => s!["reachable"]!.GetValue<bool>());
    }

    // Warm-up prompts get seeds of their own, far from the run's (Random(-1) and Random(1) give the same vector).
    private const int WarmUpBase = 1_000_000_000;

    private static async Task WarmUpAsync(IReadOnlyList<LoopbackCluster.Node> nodes, CancellationToken cancellationToken)
    {
        // A store needs two replicas: it succeeds once the silos have joined each other.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        foreach (var node in nodes)
        {
            while (true)
            {
                try
                {
                    await node.Client.StoreAsync(Store(WarmUpBase + node.Index), cancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (global::Grpc.Core.RpcException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(250, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static LoopbackCluster.Node Pick(IReadOnlyList<LoopbackCluster.Node> nodes, Random random)
    {
        while (true)
        {
            var node = nodes[random.Next(nodes.Count)];
            if (node.Alive) { return node; }
        }
    }

    private static readonly CacheScope Scope = new() { Model = "failover-model" };

    private static string Answer(int i) => "answer " + i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static CacheStoreRequest Store(int i) => new()
    {
        Tenant = "default",
        Scope = Scope with { Extra = new Dictionary<string, string> { ["user"] = "u" + (Math.Abs(i) % 50).ToString(System.Globalization.CultureInfo.InvariantCulture) } },
        Prompt = "prompt " + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Response = Answer(i),
        Vector = LoopbackCluster.Vector(i),
    };

    private static CacheLookupRequest Lookup(int i) => new()
    {
        Tenant = "default",
        Scope = Scope with { Extra = new Dictionary<string, string> { ["user"] = "u" + (Math.Abs(i) % 50).ToString(System.Globalization.CultureInfo.InvariantCulture) } },
        Prompt = "prompt " + i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Vector = LoopbackCluster.Vector(i),
    };
}
