using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using SemCache.Vectors;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache eval-index</c>: builds an HNSW index over a .fvecs base set and reports recall@k against brute
/// force, single-thread queries per second and memory per vector, one JSON line per ef. The output fields match
/// benchmarks/hnswlib/hnswlib_eval.py so the two can be compared line by line.
/// </summary>
internal static class EvalIndexCommand
{
    /// <summary>Untimed queries before each ef's timed passes (see the warm-up loop).</summary>
    private const double WarmUpSeconds = 1.0;

    public static Command Create()
    {
        var baseFile = new Option<FileInfo>("--base") { Description = "Vectors to index (.fvecs).", Required = true };
        var queryFile = new Option<FileInfo>("--query") { Description = "Query vectors (.fvecs).", Required = true };
        var m = new Option<int>("--m") { Description = "HNSW links per node (2M on level 0).", DefaultValueFactory = _ => 16 };
        var efConstruction = new Option<int>("--ef-construction") { Description = "Candidate list size while building.", DefaultValueFactory = _ => 200 };
        var ef = new Option<string>("--ef") { Description = "Comma-separated search candidate list sizes.", DefaultValueFactory = _ => "10,20,40,80,160" };
        var k = new Option<int>("--k") { Description = "Neighbours per query.", DefaultValueFactory = _ => 10 };
        var threads = new Option<int>("--threads") { Description = "Build threads (queries always run on one thread).", DefaultValueFactory = _ => Environment.ProcessorCount };
        var repeat = new Option<int>("--repeat") { Description = "Timed passes over the queries per ef; the fastest is reported (robust to a shared machine).", DefaultValueFactory = _ => 3 };
        var encoding = new Option<string>("--encoding") { Description = "Traversal encoding: float32, int8 or binary (quantised ones re-rank with float32).", DefaultValueFactory = _ => "float32" };
        encoding.AcceptOnlyFromAmong("float32", "int8", "binary");

        var command = new Command("eval-index", "Measure the vector index: recall@k, single-thread QPS, build time and bytes per vector.")
        {
            baseFile, queryFile, m, efConstruction, ef, k, threads, repeat, encoding,
        };
        command.SetAction(parse => Run(
            parse.GetValue(baseFile)!,
            parse.GetValue(queryFile)!,
            parse.GetValue(m),
            parse.GetValue(efConstruction),
            parse.GetValue(ef)!,
            parse.GetValue(k),
            parse.GetValue(threads),
            parse.GetValue(repeat),
            Enum.Parse<VectorEncoding>(parse.GetValue(encoding)!, ignoreCase: true)));
        return command;
    }

    private static int Run(FileInfo baseFile, FileInfo queryFile, int m, int efConstruction, string efList, int k, int threads, int repeat, VectorEncoding encoding)
    {
        int[] efs;
        try
        {
            efs = [.. efList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            Console.Error.WriteLine($"error: --ef: {e.Message}");
            return 2;
        }

        if (efs.Length == 0 || efs.Any(e => e < 1) || k < 1 || threads < 1 || repeat < 1 || m < 2 || efConstruction < 1)
        {
            Console.Error.WriteLine("error: --ef, --k, --threads, --repeat and --ef-construction must be positive and --m at least 2.");
            return 2;
        }

        float[] data, queries;
        int dims, queryDims;
        try
        {
            (data, dims) = Fvecs.ReadNormalized(baseFile.FullName);
            (queries, queryDims) = Fvecs.ReadNormalized(queryFile.FullName);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }

        if (dims != queryDims)
        {
            Console.Error.WriteLine($"error: base vectors have {dims} dimensions, queries {queryDims}.");
            return 2;
        }

        var count = data.Length / dims;
        var queryCount = queries.Length / dims;
        Console.Error.WriteLine($"loaded {count} base and {queryCount} query vectors of {dims} dimensions; {VectorScorers.Describe()}");

        // FlatSearchLimit = 0: always a graph, whatever the size, since the graph is what is measured.
        using var index = new PartitionIndex(new VectorIndexOptions { Dimensions = dims, FlatSearchLimit = 0, M = m, EfConstruction = efConstruction, Encoding = encoding, Float32Directory = encoding == VectorEncoding.Float32 ? null : Path.GetTempPath() });
        var keys = new long[count];
        for (var i = 0; i < count; i++)
        {
            keys[i] = i;
        }

        Console.Error.WriteLine($"building (M={m}, efConstruction={efConstruction}, {threads} threads)...");
        var clock = Stopwatch.StartNew();
        index.Reserve(count);
        index.AddRange(keys, data, threads);

        // Quantised codes are calibrated by the index's background maintenance: part of the build that is measured.
        index.WaitForMaintenance();
        var buildSeconds = clock.Elapsed.TotalSeconds;
        var bytesPerVector = index.MemoryBytes / (double)count;
        Console.Error.WriteLine($"built in {buildSeconds:F1} s, {bytesPerVector:F0} bytes/vector; computing exact neighbours...");

        var truth = GroundTruth(data, queries, dims, k);
        var hits = new VectorHit[k];
        foreach (var ef in efs)
        {
            // Warm-up lets tiered compilation settle on the optimised search before the timed passes: a fixed 200
            // queries (a few milliseconds) ended before the tier-1 code was installed (the JIT waits 100 ms after the
            // last tier-0 compile and compiles in the background), so on a busy machine the first passes timed tier-0
            // code and one run's QPS varied twofold between repeats. Queries for at least WarmUpSeconds settle it.
            clock.Restart();
            for (var q = 0; q < 200 || clock.Elapsed.TotalSeconds < WarmUpSeconds; q++)
            {
                index.Search(queries.AsSpan((q % queryCount) * dims, dims), hits, ef);
            }

            var found = 0L;
            var seconds = double.MaxValue;
            for (var pass = 0; pass < repeat; pass++)
            {
                found = 0;
                clock.Restart();
                for (var q = 0; q < queryCount; q++)
                {
                    var n = index.Search(queries.AsSpan(q * dims, dims), hits, ef);
                    var row = truth.AsSpan(q * k, k);
                    for (var i = 0; i < n; i++)
                    {
                        if (row.Contains(hits[i].Key))
                        {
                            found++;
                        }
                    }
                }

                seconds = Math.Min(seconds, clock.Elapsed.TotalSeconds);
            }

            WriteLine(new
            {
                engine = "semcache",
                ef,
                k,
                recall_at_10 = Math.Round(found / (double)((long)queryCount * k), 4),
                queries_per_second = Math.Round(queryCount / seconds, 1),
                build_seconds = Math.Round(buildSeconds, 2),
                bytes_per_vector = Math.Round(bytesPerVector, 1),
                float32_file_bytes_per_vector = Math.Round(index.Float32FileBytes / (double)count, 1),
                m,
                ef_construction = efConstruction,
                count,
                dimensions = dims,
                build_threads = threads,
                kernel = VectorKernels.ActivePath,
                encoding = encoding.ToString().ToLowerInvariant(),
                kernels = index.KernelFamily + ": " + VectorScorers.For(forceManaged: false).Variants,
            });
        }

        return 0;
    }

    private static void WriteLine<T>(T value)
    {
        Console.Out.WriteLine(JsonSerializer.Serialize(value));
        Console.Out.Flush();
    }

    /// <summary>Exact top-k row indices per query by dot product, computed in parallel (not timed).</summary>
    private static long[] GroundTruth(float[] data, float[] queries, int dims, int k)
    {
        var count = data.Length / dims;
        var queryCount = queries.Length / dims;
        var truth = new long[queryCount * k];
        Parallel.For(0, queryCount, q =>
        {
            var query = queries.AsSpan(q * dims, dims);
            Span<VectorHit> best = stackalloc VectorHit[k];
            var n = 0;
            for (var i = 0; i < count; i++)
            {
                var s = VectorKernels.Dot(query, data.AsSpan(i * dims, dims));
                if (n == k && !(s > best[k - 1].Similarity))
                {
                    continue;
                }

                var at = n < k ? n++ : k - 1;
                while (at > 0 && best[at - 1].Similarity < s)
                {
                    best[at] = best[at - 1];
                    at--;
                }

                best[at] = new VectorHit(i, s);
            }

            for (var i = 0; i < k; i++)
            {
                truth[(q * k) + i] = i < n ? best[i].Key : -1;
            }
        });
        return truth;
    }
}

/// <summary>Reader of the .fvecs format: per vector an int32 dimension, then that many float32, little-endian.</summary>
internal static class Fvecs
{
    public static (float[] Data, int Dimensions) ReadNormalized(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 4)
        {
            throw new InvalidDataException($"{path} is empty.");
        }

        var dims = BitConverter.ToInt32(bytes, 0);
        var record = 4L + (4L * dims);
        if (dims < 1 || bytes.Length % record != 0)
        {
            throw new InvalidDataException($"{path} is not a .fvecs file of {dims}-dimensional vectors.");
        }

        var count = (int)(bytes.Length / record);
        var data = new float[(long)count * dims];
        for (var i = 0; i < count; i++)
        {
            var offset = (int)(i * record);
            if (BitConverter.ToInt32(bytes, offset) != dims)
            {
                throw new InvalidDataException($"{path}: vector {i} has a different dimension.");
            }

            var source = MemoryMarshal.Cast<byte, float>(bytes.AsSpan(offset + 4, dims * 4));
            var target = data.AsSpan(i * dims, dims);
            var status = VectorKernels.TryNormalize(source, target);
            if (status != VectorStatus.Ok)
            {
                throw new InvalidDataException($"{path}: vector {i} cannot be normalised ({status}).");
            }
        }

        return (data, dims);
    }
}
