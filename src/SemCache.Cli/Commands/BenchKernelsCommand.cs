using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SemCache.Vectors;
using SemCache.Vectors.Native;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache bench-kernels</c>: scans one query against 100k x 384 fixed-seed unit vectors with each kernel (managed
/// float32 and int8; native float32, int8 and binary) and prints one JSON line of vectors scored per second. The
/// kernels are measured in interleaved rounds and the best round of each is kept, so a noisy neighbour on a shared
/// machine slows every kernel alike rather than one of them.
/// </summary>
internal static class BenchKernelsCommand
{
    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Vectors scanned per pass.", DefaultValueFactory = _ => 100_000 };
        var dims = new Option<int>("--dims") { Description = "Dimensions per vector.", DefaultValueFactory = _ => 384 };
        var rounds = new Option<int>("--rounds") { Description = "Interleaved rounds; the best of each kernel is reported.", DefaultValueFactory = _ => 5 };
        var passes = new Option<int>("--passes") { Description = "Full scans per kernel per round.", DefaultValueFactory = _ => 10 };
        var command = new Command("bench-kernels", "Vectors scored per second by the managed and native scan kernels (float32, int8, binary), one JSON line.")
        {
            count, dims, rounds, passes,
        };
        command.SetAction(parse => Run(parse.GetValue(count), parse.GetValue(dims), parse.GetValue(rounds), parse.GetValue(passes)));
        return command;
    }

    private static int Run(int count, int dims, int rounds, int passes)
    {
        if (count < 1 || dims < 1 || dims > 65536 || rounds < 1 || passes < 1 || (long)count * dims > 1L << 31)
        {
            Console.Error.WriteLine("bench-kernels: --count, --dims, --rounds and --passes must be positive, --dims at most 65536 and count x dims below 2^31.");
            return 2;
        }

        Console.Error.WriteLine($"bench-kernels: {count} x {dims}; {VectorScorers.Describe()}");
        using var workload = new KernelScanWorkload(count, dims, seed: 20261201);
        var managed = ManagedVectorScorer.Instance;
        var native = NativeKernelLibrary.IsLoaded ? NativeVectorScorer.Instance : null;
        var kernels = new List<(string Name, Func<double> Scan)>
        {
            ("managed_float32", () => workload.ScanFloat32(managed)),
            ("managed_int8", () => workload.ScanInt8(managed)),
            ("managed_binary", () => workload.ScanBinary(managed)),
        };
        if (native is not null)
        {
            kernels.Add(("native_float32", () => workload.ScanFloat32(native)));
            kernels.Add(("native_int8", () => workload.ScanInt8(native)));
            kernels.Add(("native_binary", () => workload.ScanBinary(native)));
        }

        var best = kernels.ToDictionary(k => k.Name, _ => 0.0);
        var sink = 0.0;
        foreach (var (_, scan) in kernels)
        {
            sink += scan(); // warm-up: tiered compilation and page faults before timing
        }

        var clock = new Stopwatch();
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, scan) in kernels)
            {
                clock.Restart();
                for (var pass = 0; pass < passes; pass++)
                {
                    sink += scan();
                }

                best[name] = Math.Max(best[name], (double)count * passes / clock.Elapsed.TotalSeconds);
            }
        }

        double? Rate(string name) => best.TryGetValue(name, out var rate) ? Math.Round(rate) : null;
        var line = new
        {
            managed_float32_per_second = Rate("managed_float32"),
            managed_int8_per_second = Rate("managed_int8"),
            managed_binary_per_second = Rate("managed_binary"),
            native_float32_per_second = Rate("native_float32"),
            native_int8_per_second = Rate("native_int8"),
            native_binary_per_second = Rate("native_binary"),
            native_int8_over_managed_float32 = native is null ? (double?)null : Math.Round(best["native_int8"] / best["managed_float32"], 2),
            kernels = native is null
                ? $"managed({managed.Variants}); native not loaded: {NativeKernelLibrary.Status}"
                : $"native({native.Variants}); managed({managed.Variants})",
            count,
            dimensions = dims,
            rounds,
            passes,
            checksum = Math.Round(sink, 3),
        };
        Console.Out.WriteLine(JsonSerializer.Serialize(line));
        return 0;
    }
}
