using SemCache.ClusterBench;

namespace SemCache.Cluster.Tests;

/// <summary>
/// Three server processes on loopback (the real program, FASTER stores, gRPC, Orleans over TCP) under a
/// running load; one is killed with SIGKILL. The same harness as <c>benchmarks/cluster/failover.sh</c>, shorter.
/// </summary>
public sealed class LoopbackFailoverTests
{
    [Fact]
    [Trait("Category", "Long")]
    public async Task Killing_one_of_three_server_processes_under_load_loses_no_acknowledged_store_and_serves_no_wrong_entry()
    {
        using var log = new StringWriter();
        var result = await FailoverRun.RunAsync(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10), writers: 2, readers: 3, log, CancellationToken.None);
        var context = result.ToJson() + "\n" + log;
        Assert.True(result.SilosShown == 3, "the dashboard's cluster view did not list three silos: " + context);
        Assert.True(result.AcknowledgedStores > 0, "nothing was acknowledged: " + context);
        Assert.True(result.Lookups > 0, "nothing was looked up: " + context);
        Assert.True(result.LostAcknowledged == 0, "acknowledged stores were lost: " + context);
        Assert.True(result.WrongHits == 0, "wrong entries were served: " + context);
    }
}
