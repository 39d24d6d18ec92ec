using System.CommandLine;
using System.Diagnostics;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache bench-soak</c>: long memory soaks of the embedded engine (InMemory, vectors supplied),
/// measured as process memory. <c>--mode cycles</c>: N store-then-ForScope-invalidate cycles, each in a
/// fresh scope (partition lifecycle). <c>--mode capacity</c>: stores in 100 scopes with <c>--max-bytes</c>
/// set until ten times that many bytes were streamed (the byte limit as process memory), with where the
/// memory is at the end: the store's log (<c>storeLogMb</c>, of which <c>storeNativeMb</c> in native memory and
/// <c>storeManagedLogMb</c> of pinned managed pages) and the partition indexes' real size (<c>indexMb</c>).
/// Prints one JSON line; progress on stderr.
/// </summary>
internal static class BenchSoakCommand
{
    private const int Dimensions = 384;

    public static Command Create()
    {
        var mode = new Option<string>("--mode") { Description = "cycles or capacity.", DefaultValueFactory = _ => "cycles" };
        var count = new Option<long>("--count") { Description = "cycles: store-then-invalidate cycles.", DefaultValueFactory = _ => 1_000_000 };
        var maxBytes = new Option<long>("--max-bytes") { Description = "capacity: SemanticCacheOptions.MaxBytes.", DefaultValueFactory = _ => 64L << 20 };
        var command = new Command("bench-soak", "Memory soak of the embedded engine: partition lifecycle (cycles) or the byte limit (capacity), as process memory.")
        {
            mode,
            count,
            maxBytes,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var which = parseResult.GetValue(mode);
            var n = parseResult.GetValue(count);
            var limit = parseResult.GetValue(maxBytes);
            if (which is not ("cycles" or "capacity") || n < 10 || limit < (1L << 20))
            {
                await Console.Error.WriteLineAsync("bench-soak: --mode must be cycles or capacity, --count at least 10, --max-bytes at least 1 MiB.").ConfigureAwait(false);
                return 2;
            }

            return which == "cycles" ? await CyclesAsync(n, cancellationToken).ConfigureAwait(false) : await CapacityAsync(limit, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static SemanticCacheOptions Options(long maxBytes) => new()
    {
        Durability = CacheDurability.InMemory,
        RequestsBringVectors = true,
        Dimensions = Dimensions,
        MaxBytes = maxBytes,
    };

    private static async Task<int> CyclesAsync(long cycles, CancellationToken cancellationToken)
    {
        var random = new Random(11);
        await using var cache = await SemanticCacheEngine.OpenAsync(Options(0), cancellationToken: cancellationToken).ConfigureAwait(false);
        var samples = new List<(long Cycle, double RssMb, double HeapMb)>();
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < cycles; i++)
        {
            var scope = new CacheScope { Model = "soak", Extra = new Dictionary<string, string> { ["k"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
            await cache.StoreAsync(new CacheStoreRequest { Tenant = "t", Scope = scope, Prompt = "prompt " + i, Response = "r", Vector = Unit(random) }, cancellationToken).ConfigureAwait(false);
            await cache.InvalidateAsync(CacheInvalidation.ForScope("t", scope), cancellationToken).ConfigureAwait(false);
            if ((i + 1) % (cycles / 10) == 0)
            {
                var (rss, heap) = Memory();
                samples.Add((i + 1, rss, heap));
                await Console.Error.WriteLineAsync($"bench-soak: {i + 1} cycles, RSS {rss:0.0} MiB, heap {heap:0.0} MiB, {sw.Elapsed.TotalSeconds:0} s").ConfigureAwait(false);
            }
        }

        var stats = await cache.GetStatsAsync(null, cancellationToken).ConfigureAwait(false);
        JsonLine.Write(json =>
        {
            json.WriteString("mode", "cycles");
            json.WriteNumber("cycles", cycles);
            json.WriteNumber("seconds", Math.Round(sw.Elapsed.TotalSeconds, 1));
            json.WriteNumber("entries", stats.Entries);
            json.WriteNumber("partitions", stats.Partitions);
            json.WriteNumber("bytes", stats.Bytes);
            json.WriteStartArray("samples");
            foreach (var (cycle, rss, heap) in samples)
            {
                json.WriteStartObject();
                json.WriteNumber("cycle", cycle);
                json.WriteNumber("rssMb", Math.Round(rss, 1));
                json.WriteNumber("heapMb", Math.Round(heap, 1));
                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
        return 0;
    }

    private static async Task<int> CapacityAsync(long maxBytes, CancellationToken cancellationToken)
    {
        var random = new Random(11);
        var (rss0, _) = Memory();
        await using var cache = await SemanticCacheEngine.OpenAsync(Options(maxBytes), cancellationToken: cancellationToken).ConfigureAwait(false);
        var answer = new string('a', 400);
        long streamed = 0;
        long stores = 0;
        double peakRss = 0;
        long peakCounted = 0;
        var sw = Stopwatch.StartNew();
        while (streamed < 10 * maxBytes)
        {
            var scope = new CacheScope { Model = "soak", Extra = new Dictionary<string, string> { ["k"] = (stores % 100).ToString(System.Globalization.CultureInfo.InvariantCulture) } };
            var prompt = $"How do I configure feature number {stores} of the product in production?";
            await cache.StoreAsync(new CacheStoreRequest { Tenant = "t", Scope = scope, Prompt = prompt, Response = answer, Vector = Unit(random) }, cancellationToken).ConfigureAwait(false);
            streamed += ((prompt.Length + answer.Length) * 2L) + (Dimensions * 4L);
            stores++;
            if (stores % 20_000 == 0)
            {
                var (rss, heap) = Memory();
                peakRss = Math.Max(peakRss, rss);
                peakCounted = Math.Max(peakCounted, (await cache.GetStatsAsync(null, cancellationToken).ConfigureAwait(false)).Bytes);
                await Console.Error.WriteLineAsync($"bench-soak: {stores} stores, {streamed >> 20} MiB streamed, RSS {rss:0.0} MiB, heap {heap:0.0} MiB").ConfigureAwait(false);
            }
        }

        var stats = await cache.GetStatsAsync(null, cancellationToken).ConfigureAwait(false);
        var (endRss, endHeap) = Memory();
        var breakdown = ((Engine.SemanticCache)cache).MemoryBreakdown;
        JsonLine.Write(json =>
        {
            json.WriteString("mode", "capacity");
            json.WriteNumber("maxBytes", maxBytes);
            json.WriteNumber("streamedBytes", streamed);
            json.WriteNumber("stores", stores);
            json.WriteNumber("seconds", Math.Round(sw.Elapsed.TotalSeconds, 1));
            json.WriteNumber("entries", stats.Entries);
            json.WriteNumber("evictions", stats.Evictions);
            json.WriteNumber("countedBytes", stats.Bytes);
            json.WriteNumber("peakCountedBytes", peakCounted);
            json.WriteNumber("rssBeforeOpenMb", Math.Round(rss0, 1));
            json.WriteNumber("peakRssMb", Math.Round(Math.Max(peakRss, endRss), 1));
            json.WriteNumber("endRssMb", Math.Round(endRss, 1));
            json.WriteNumber("endHeapMb", Math.Round(endHeap, 1));
            json.WriteNumber("storeLogMb", Math.Round(breakdown.StoreLogBytes / 1048576.0, 1));
            json.WriteNumber("storeNativeMb", Math.Round(breakdown.NativeLogBytes / 1048576.0, 1));
            json.WriteNumber("storeManagedLogMb", Math.Round(breakdown.ManagedLogBytes / 1048576.0, 1));
            json.WriteNumber("indexMb", Math.Round(breakdown.IndexBytes / 1048576.0, 1));
        });
        return 0;
    }

    private static float[] Unit(Random random)
    {
        var v = new float[Dimensions];
        double sum = 0;
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
            sum += v[i] * v[i];
        }

        var k = (float)(1 / Math.Sqrt(sum));
        for (var i = 0; i < v.Length; i++) { v[i] *= k; }
        return v;
    }

    /// <summary>Process RSS and managed heap in MiB, after a full collection.</summary>
    private static (double RssMb, double HeapMb) Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var heap = GC.GetTotalMemory(forceFullCollection: true) / 1048576.0;
        using var process = Process.GetCurrentProcess();
        return (process.WorkingSet64 / 1048576.0, heap);
    }
}
