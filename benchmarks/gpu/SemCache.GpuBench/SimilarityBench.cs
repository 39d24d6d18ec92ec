using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SemCache.Gpu;
using SemCache.Vectors;

namespace SemCache.GpuBench;

/// <summary>
/// <c>similarity</c>: Q queries x N unit vectors, per-query top-k, on the ILGPU scorer and on the
/// engine's CPU scorer in the same run; one JSON line per Q. Both see the same fixed-seed data; the
/// device copy is made once (warm-up), as a resident partition's would be.
/// </summary>
internal static class SimilarityBench
{
    // The bound for scores of the same pair computed in another summation order.
    private const float Tolerance = 1e-5f;

    public static Command Create()
    {
        var rows = new Option<int>("--rows") { Description = "Vectors in the matrix (N).", DefaultValueFactory = _ => 1_000_000 };
        var dims = new Option<int>("--dims") { Description = "Dimensions.", DefaultValueFactory = _ => 384 };
        var queries = new Option<string>("--queries") { Description = "Comma-separated query counts (Q).", DefaultValueFactory = _ => "1,64,1024" };
        var k = new Option<int>("--k") { Description = "Results per query.", DefaultValueFactory = _ => 10 };
        var seconds = new Option<double>("--seconds") { Description = "Least time each side is measured for (after one warm-up call).", DefaultValueFactory = _ => 3 };
        var cpuQueries = new Option<int>("--cpu-queries") { Description = "Most queries the CPU scan is timed on (its cost is linear in Q); also the queries checked against the GPU.", DefaultValueFactory = _ => 256 };
        var accelerator = new Option<string>("--accelerator") { Description = "cuda, auto or ilgpu-cpu.", DefaultValueFactory = _ => "cuda" };
        var scratch = new Option<long>("--scratch-mib") { Description = "Similarity block memory per launch, MiB.", DefaultValueFactory = _ => 4096 };
        var encoding = new Option<string>("--encoding") { Description = "full (float32) or half (float16 on the device, float32 re-score on the host).", DefaultValueFactory = _ => "full" };
        var command = new Command("similarity", "ILGPU batch similarity vs the CPU exact scan.") { rows, dims, queries, k, seconds, cpuQueries, accelerator, scratch, encoding };
        command.SetAction(parse =>
        {
            var kind = parse.GetValue(accelerator) switch
            {
                "cuda" => GpuAcceleratorKind.Cuda,
                "auto" => GpuAcceleratorKind.Auto,
                "ilgpu-cpu" => GpuAcceleratorKind.IlgpuCpu,
                var other => throw new ArgumentException($"--accelerator must be cuda, auto or ilgpu-cpu (was {other})."),
            };
            var precision = parse.GetValue(encoding) switch
            {
                "full" => GpuVectorEncoding.FullPrecision,
                "half" => GpuVectorEncoding.HalfPrecision,
                var other => throw new ArgumentException($"--encoding must be full or half (was {other})."),
            };
            var n = parse.GetValue(rows);
            var d = parse.GetValue(dims);
            var topK = parse.GetValue(k);
            var counts = parse.GetValue(queries)!.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            var minSeconds = parse.GetValue(seconds);
            var cpuLimit = Math.Max(1, parse.GetValue(cpuQueries));

            var clock = Stopwatch.StartNew();
            using var matrix = VectorMatrix.FromRows(RandomUnit(n, d, seed: 1), d);
            var allQueries = RandomUnit(counts.Max(), d, seed: 2);
            Console.Error.WriteLine($"similarity: {n} x {d} matrix ready in {clock.Elapsed.TotalSeconds:0.0} s");
            var scorer = GpuBatchScorers.Open(new GpuScorerOptions { Accelerator = kind, Encoding = precision, MinRows = 0, ScratchBytes = parse.GetValue(scratch) << 20 });
            try
            {
                foreach (var q in counts)
                {
                    Measure(scorer, matrix, allQueries.AsSpan(0, q * d), q, topK, minSeconds, Math.Min(q, cpuLimit), parse.GetValue(encoding)!);
                }
            }
            finally
            {
                (scorer as IDisposable)?.Dispose();
            }

            return 0;
        });
        return command;
    }

    private static void Measure(IBatchSimilarityScorer gpu, VectorMatrix matrix, ReadOnlySpan<float> queries, int q, int k, double minSeconds, int cpuQ, string encoding)
    {
        var results = new ScoredRow[q * k];
        var counts = new int[q];
        var (gpuSeconds, gpuCalls) = Time(gpu, matrix, queries, q, results, counts, minSeconds);

        var cpuResults = new ScoredRow[cpuQ * k];
        var cpuCounts = new int[cpuQ];
        var (cpuSeconds, cpuCalls) = Time(BatchSimilarityScorers.Cpu, matrix, queries[..(cpuQ * matrix.Dimensions)], cpuQ, cpuResults, cpuCounts, minSeconds);

        var mismatched = 0;
        for (var i = 0; i < cpuQ; i++)
        {
            for (var r = 0; r < k; r++)
            {
                var a = results[(i * k) + r];
                var b = cpuResults[(i * k) + r];
                if (a.Row != b.Row || Math.Abs(a.Similarity - b.Similarity) > Tolerance)
                {
                    mismatched++;
                    break;
                }
            }
        }

        var perCall = gpuSeconds / gpuCalls;
        var gpuQps = q / perCall;
        var cpuQps = cpuQ / (cpuSeconds / cpuCalls);
        var flops = 2.0 * q * matrix.RowCount * matrix.Dimensions;
        var matrixBytes = (double)matrix.RowCount * matrix.Stride * sizeof(float);
        var stats = (gpu as IGpuBatchScorer)?.GetStats();
        using var stdout = Console.OpenStandardOutput();
        using (var json = new Utf8JsonWriter(stdout))
        {
            json.WriteStartObject();
            json.WriteString("figure", "ilgpu_similarity");
            json.WriteString("accelerator", gpu.Accelerator);
            json.WriteString("encoding", encoding);
            json.WriteNumber("queries", q);
            json.WriteNumber("rows", matrix.RowCount);
            json.WriteNumber("dims", matrix.Dimensions);
            json.WriteNumber("k", k);
            json.WriteNumber("gpu_ms_per_call", Math.Round(perCall * 1000, 3));
            json.WriteNumber("gpu_qps", Math.Round(gpuQps, 1));
            json.WriteNumber("gpu_tflops", Math.Round(flops / perCall / 1e12, 3));

            // The least traffic a call needs (the matrix read once); the tile kernel reads it once per 64 queries.
            json.WriteNumber("gpu_matrix_gbps", Math.Round(matrixBytes / perCall / 1e9, 1));
            json.WriteNumber("cpu_qps", Math.Round(cpuQps, 1));
            json.WriteNumber("cpu_queries_timed", cpuQ);
            json.WriteNumber("cpu_threads", Environment.ProcessorCount);
            json.WriteNumber("gpu_over_cpu", Math.Round(gpuQps / cpuQps, 2));
            json.WriteNumber("queries_checked", cpuQ);
            json.WriteNumber("queries_differing_from_cpu", mismatched);
            json.WriteNumber("device_bytes", stats?.DeviceBytes ?? 0);
            json.WriteNumber("device_calls", stats?.DeviceCalls ?? 0);
            json.WriteEndObject();
        }

        stdout.Write("\n"u8);
        stdout.Flush();
    }

    /// <summary>One warm-up call, then calls until <paramref name="minSeconds"/> have passed (at least one).</summary>
    private static (double Seconds, int Calls) Time(IBatchSimilarityScorer scorer, VectorMatrix matrix, ReadOnlySpan<float> queries, int q, ScoredRow[] results, int[] counts, double minSeconds)
    {
        scorer.Score(matrix, queries, q, results, counts);
        var calls = 0;
        var clock = Stopwatch.StartNew();
        do
        {
            scorer.Score(matrix, queries, q, results, counts);
            calls++;
        }
        while (clock.Elapsed.TotalSeconds < minSeconds);
        return (clock.Elapsed.TotalSeconds, calls);
    }

    /// <summary>Fixed-seed unit vectors, generated in parallel chunks (1M x 384 in about a second).</summary>
    internal static float[] RandomUnit(int count, int dims, int seed)
    {
        var data = new float[(long)count * dims];
        const int Chunk = 4096;
        Parallel.For(0, (count + Chunk - 1) / Chunk, c =>
        {
            var random = new Random(HashCode.Combine(seed, c));
            for (var i = c * Chunk; i < Math.Min(count, (c + 1) * Chunk); i++)
            {
                var v = data.AsSpan(i * dims, dims);
                for (var j = 0; j < dims; j++) { v[j] = (random.NextSingle() * 2) - 1; }
                var norm = MathF.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(v));
                System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
            }
        });
        return data;
    }
}
