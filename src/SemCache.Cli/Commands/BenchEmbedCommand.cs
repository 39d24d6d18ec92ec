using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using SemCache.Embeddings.Onnx;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache bench-embed</c>: in one process and one run, embeds the same sentences three ways
/// (one caller with single texts; 16 concurrent single-text callers through the micro-batcher;
/// the model called directly with batches of 64) and prints one JSON line with the rates.
/// </summary>
internal static class BenchEmbedCommand
{
    private const int Concurrency = 16;
    private const int RawBatch = 64;

    public static Command Create()
    {
        var pairs = new Option<FileInfo?>("--pairs") { Description = "pairs.jsonl whose a/b sentences are embedded; default <repo>/tests/data/paws-dev/pairs.jsonl." };
        var limit = new Option<int>("--limit") { Description = "Sentences per measurement.", DefaultValueFactory = _ => 1024 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds of the three measurements (interleaved); the median of each is reported.", DefaultValueFactory = _ => 3 };
        var command = new Command("bench-embed", "Measures sequential, 16-way concurrent (micro-batched) and raw batch-64 embedding rates in one run.")
        {
            pairs,
            limit,
            rounds,
        };
        var shared = EmbedderCli.AddOptions(command);
        command.SetAction((parseResult, cancellationToken) => EmbedderCli.Guard("bench-embed", async () =>
        {
            var path = parseResult.GetValue(pairs)?.FullName ?? DefaultPairs();
            if (path is null || !File.Exists(path))
            {
                await Console.Error.WriteLineAsync($"bench-embed: pairs file not found ({path ?? "no repository root above the working directory"}); pass --pairs.").ConfigureAwait(false);
                return 2;
            }

            var count = parseResult.GetValue(limit);
            var roundCount = parseResult.GetValue(rounds);
            if (count < RawBatch || roundCount < 1)
            {
                await Console.Error.WriteLineAsync($"bench-embed: --limit must be at least {RawBatch} and --rounds at least 1.").ConfigureAwait(false);
                return 2;
            }

            var sentences = EmbedderCli.ReadPairSentences(path, count);
            using var generator = EmbedderCli.CreateGenerator(parseResult, shared);
            await Console.Error.WriteLineAsync($"bench-embed: {sentences.Count} sentences from {path}, provider {EmbedderCli.ProviderName(generator.ExecutionProvider)}, {roundCount} round(s)").ConfigureAwait(false);

            // Warm-up: every path once, so JIT and ONNX Runtime's first-run costs are not measured.
            var warm = sentences.Take(RawBatch).ToList();
            await Sequential(generator, warm, cancellationToken).ConfigureAwait(false);
            await Concurrent(generator, warm, cancellationToken).ConfigureAwait(false);
            Raw(generator, warm);

            var sequential = new List<double>();
            var concurrent = new List<double>();
            var raw = new List<double>();
            var cpu = new double[3];
            var process = Process.GetCurrentProcess();
            var statsBefore = generator.GetStats();
            long concurrentRequests = 0;
            long concurrentBatches = 0;
            for (var round = 0; round < roundCount; round++)
            {
                var cpuStart = CpuSeconds(process);
                sequential.Add(await Sequential(generator, sentences, cancellationToken).ConfigureAwait(false));
                var cpuSequential = CpuSeconds(process);
                var before = generator.GetStats();
                concurrent.Add(await Concurrent(generator, sentences, cancellationToken).ConfigureAwait(false));
                var after = generator.GetStats();
                var cpuConcurrent = CpuSeconds(process);
                concurrentRequests += after.Requests - before.Requests;
                concurrentBatches += after.Batches - before.Batches;
                raw.Add(Raw(generator, sentences));
                var cpuRaw = CpuSeconds(process);
                cpu[0] += cpuSequential - cpuStart;
                cpu[1] += cpuConcurrent - cpuSequential;
                cpu[2] += cpuRaw - cpuConcurrent;
                await Console.Error.WriteLineAsync($"bench-embed: round {round + 1}: sequential {sequential[^1]:0.0}/s, concurrent16 {concurrent[^1]:0.0}/s, raw64 {raw[^1]:0.0}/s").ConfigureAwait(false);
            }

            var seq = Median(sequential);
            var conc = Median(concurrent);
            var batch = Median(raw);
            using var stdout = Console.OpenStandardOutput();
            using (var json = new Utf8JsonWriter(stdout))
            {
                json.WriteStartObject();
                json.WriteNumber("sequential_batch1_per_second", Math.Round(seq, 1));
                json.WriteNumber("concurrent16_per_second", Math.Round(conc, 1));
                json.WriteNumber("raw_batch64_per_second", Math.Round(batch, 1));
                json.WriteString("provider", EmbedderCli.ProviderName(generator.ExecutionProvider));
                json.WriteNumber("concurrent16_over_sequential", Math.Round(conc / seq, 2));
                json.WriteNumber("concurrent16_over_raw64", Math.Round(conc / batch, 2));
                json.WriteNumber("concurrent16_mean_batch", Math.Round((double)concurrentRequests / Math.Max(1, concurrentBatches), 2));
                // CPU time per sentence is what each mode costs, whatever share of the (shared) machine it got.
                var perSentence = 1000.0 / (sentences.Count * roundCount);
                json.WriteNumber("sequential_cpu_ms_per_sentence", Math.Round(cpu[0] * perSentence, 2));
                json.WriteNumber("concurrent16_cpu_ms_per_sentence", Math.Round(cpu[1] * perSentence, 2));
                json.WriteNumber("raw_batch64_cpu_ms_per_sentence", Math.Round(cpu[2] * perSentence, 2));
                json.WriteNumber("sentences", sentences.Count);
                json.WriteNumber("rounds", roundCount);
                json.WriteNumber("logical_cores", Environment.ProcessorCount);
                json.WriteNumber("requests_total", generator.GetStats().Requests - statsBefore.Requests);
                json.WriteEndObject();
            }

            stdout.Write("\n"u8);
            return 0;
        }));
        return command;
    }

    private static string? DefaultPairs()
    {
        var root = EmbedderCli.FindRepositoryRoot();
        return root is null ? null : Path.GetFullPath(Path.Combine(root, "tests", "data", "paws-dev", "pairs.jsonl"));
    }

    private static async Task<double> Sequential(IOnnxEmbeddingGenerator generator, List<string> sentences, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        foreach (var sentence in sentences)
        {
            await generator.GenerateAsync([sentence], cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return sentences.Count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<double> Concurrent(IOnnxEmbeddingGenerator generator, List<string> sentences, CancellationToken cancellationToken)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        var callers = new Task[Concurrency];
        for (var c = 0; c < Concurrency; c++)
        {
            callers[c] = Task.Run(
                async () =>
                {
                    int index;
                    while ((index = Interlocked.Increment(ref next)) < sentences.Count)
                    {
                        await generator.GenerateAsync([sentences[index]], cancellationToken: cancellationToken).ConfigureAwait(false);
                    }
                },
                cancellationToken);
        }

        await Task.WhenAll(callers).ConfigureAwait(false);
        return sentences.Count / clock.Elapsed.TotalSeconds;
    }

    private static double Raw(IOnnxEmbeddingGenerator generator, List<string> sentences)
    {
        var destination = new float[RawBatch * generator.Dimensions];
        var clock = Stopwatch.StartNew();
        for (var start = 0; start < sentences.Count; start += RawBatch)
        {
            var count = Math.Min(RawBatch, sentences.Count - start);
            generator.EmbedBatch(sentences.GetRange(start, count), destination);
        }

        return sentences.Count / clock.Elapsed.TotalSeconds;
    }

    private static double CpuSeconds(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
