using System.Buffers.Binary;
using System.CommandLine;
using System.Text.Json;

namespace SemCache.GpuBench;

/// <summary>
/// <c>parity A.fvecs B.fvecs</c>: compares two embeddings of the same sentences (e.g. CUDA and CPU
/// runs of <c>semcache embed-file</c>) vector by vector; prints the least cosine and the largest
/// component difference.
/// </summary>
internal static class ParityCommand
{
    public static Command Create()
    {
        var a = new Argument<FileInfo>("a") { Description = "First .fvecs file." };
        var b = new Argument<FileInfo>("b") { Description = "Second .fvecs file, same sentences in the same order." };
        var label = new Option<string>("--label") { Description = "What is compared, for the JSON line.", DefaultValueFactory = _ => "cuda_vs_cpu" };
        var command = new Command("parity", "Compares two .fvecs files vector by vector.") { a, b, label };
        command.SetAction(parse =>
        {
            var x = Read(parse.GetValue(a)!.FullName);
            var y = Read(parse.GetValue(b)!.FullName);
            if (x.Count != y.Count)
            {
                Console.Error.WriteLine($"parity: {x.Count} vectors against {y.Count}");
                return 2;
            }

            var minCosine = double.MaxValue;
            var maxDiff = 0.0;
            double sumCosine = 0;
            for (var i = 0; i < x.Count; i++)
            {
                if (x[i].Length != y[i].Length)
                {
                    Console.Error.WriteLine($"parity: vector {i} has {x[i].Length} against {y[i].Length} dimensions");
                    return 2;
                }

                double dot = 0, nx = 0, ny = 0;
                for (var d = 0; d < x[i].Length; d++)
                {
                    dot += (double)x[i][d] * y[i][d];
                    nx += (double)x[i][d] * x[i][d];
                    ny += (double)y[i][d] * y[i][d];
                    maxDiff = Math.Max(maxDiff, Math.Abs(x[i][d] - y[i][d]));
                }

                var cosine = dot / Math.Sqrt(nx * ny);
                minCosine = Math.Min(minCosine, cosine);
                sumCosine += cosine;
            }

            using var stdout = Console.OpenStandardOutput();
            using (var json = new Utf8JsonWriter(stdout))
            {
                json.WriteStartObject();
                json.WriteString("figure", "embedder_parity");
                json.WriteString("compared", parse.GetValue(label));
                json.WriteNumber("sentences", x.Count);
                json.WriteNumber("min_cosine", Math.Round(minCosine, 7));
                json.WriteNumber("mean_cosine", Math.Round(sumCosine / Math.Max(1, x.Count), 7));
                json.WriteNumber("max_abs_component_diff", Math.Round(maxDiff, 7));
                json.WriteEndObject();
            }

            stdout.Write("\n"u8);
            return 0;
        });
        return command;
    }

    private static List<float[]> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var vectors = new List<float[]>();
        for (var at = 0; at + 4 <= bytes.Length;)
        {
            var dims = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            if (dims <= 0 || at + 4 + (dims * 4L) > bytes.Length) { throw new InvalidDataException($"{path} is not a .fvecs file (record at byte {at})."); }
            var v = new float[dims];
            for (var d = 0; d < dims; d++) { v[d] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(at + 4 + (d * 4))); }
            vectors.Add(v);
            at += 4 + (dims * 4);
        }

        return vectors;
    }
}
