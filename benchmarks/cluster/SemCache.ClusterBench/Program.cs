using System.CommandLine;
using SemCache.ClusterBench;

// semcache-clusterbench: loopback cluster checks (benchmarks/cluster/*.sh). One JSON line on stdout, progress on stderr.
var before = new Option<double>("--before") { Description = "Seconds of load before the kill.", DefaultValueFactory = _ => 8 };
var after = new Option<double>("--after") { Description = "Seconds of load after the kill.", DefaultValueFactory = _ => 20 };
var writers = new Option<int>("--writers") { Description = "Concurrent writers.", DefaultValueFactory = _ => 2 };
var readers = new Option<int>("--readers") { Description = "Concurrent readers.", DefaultValueFactory = _ => 4 };
var failover = new Command("failover", "3 cluster processes under load, kill -9 of one; prints acknowledged_stores, lost_acknowledged, wrong_hits, lookup_errors, lookups.")
{
    before, after, writers, readers,
};
failover.SetAction(async (parse, cancellationToken) =>
{
    var result = await FailoverRun.RunAsync(
        TimeSpan.FromSeconds(parse.GetValue(before)), TimeSpan.FromSeconds(parse.GetValue(after)), Math.Max(1, parse.GetValue(writers)), Math.Max(1, parse.GetValue(readers)), Console.Error, cancellationToken);
    Console.WriteLine(result.ToJson());
    return result.LostAcknowledged == 0 && result.WrongHits == 0 ? 0 : 1;
});

var entries = new Option<int>("--entries") { Description = "Entries preloaded.", DefaultValueFactory = _ => 2000 };
var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 32 };
var duration = new Option<double>("--duration") { Description = "Measured seconds per configuration.", DefaultValueFactory = _ => 10 };
var sequential = new Option<int>("--sequential") { Description = "One-at-a-time lookups for the per-call cost.", DefaultValueFactory = _ => 2000 };
var load = new Command("load", "The same lookup load against 1 plain process, a 1-silo cluster and a 3-silo cluster: throughput, p99 and forwarding cost side by side.")
{
    entries, clients, duration, sequential,
};
load.SetAction(async (parse, cancellationToken) =>
{
    var result = await LoadRun.RunAsync(
        Math.Max(1, parse.GetValue(entries)), Math.Max(1, parse.GetValue(clients)), TimeSpan.FromSeconds(parse.GetValue(duration)), Math.Max(1, parse.GetValue(sequential)), Console.Error, cancellationToken);
    Console.WriteLine(result.ToJsonString());
    return 0;
});

var dimensions = new Option<int>("--dimensions") { Description = "Vector dimensions of the encoded lookup.", DefaultValueFactory = _ => 384 };
var iterations = new Option<int>("--iterations") { Description = "Lookups and replies encoded and decoded per round.", DefaultValueFactory = _ => 20_000 };
var rounds = new Option<int>("--rounds") { Description = "Alternating measured rounds per encoding (the median counts).", DefaultValueFactory = _ => 7 };
var codec = new Command("codec", "Encoding cost of a forwarded lookup and its reply: Orleans-native surrogates against JSON, alternated in one process.")
{
    dimensions, iterations, rounds,
};
codec.SetAction(parse =>
{
    Console.WriteLine(CodecRun.Run(Math.Max(1, parse.GetValue(dimensions)), Math.Max(1, parse.GetValue(iterations)), Math.Max(1, parse.GetValue(rounds)), Console.Error).ToJsonString());
    return 0;
});

var root = new RootCommand("semcache-clusterbench: loopback checks of SemCache's cluster mode.") { failover, load, codec };
return await root.Parse(args).InvokeAsync();
