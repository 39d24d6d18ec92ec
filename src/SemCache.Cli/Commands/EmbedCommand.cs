using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using SemCache.Embeddings.Onnx;

namespace SemCache.Cli.Commands;

/// <summary><c>semcache embed "text"</c>: prints the text's embedding as one JSON line.</summary>
internal static class EmbedCommand
{
    public static Command Create()
    {
        var text = new Argument<string>("text") { Description = "The text to embed." };
        var command = new Command("embed", "Embeds one text with the ONNX embedder and prints {\"provider\",\"dimensions\",\"truncated\",\"vector\"} as JSON.")
        {
            text,
        };
        var shared = EmbedderCli.AddOptions(command);
        command.SetAction((parseResult, cancellationToken) => EmbedderCli.Guard("embed", async () =>
        {
            using var generator = EmbedderCli.CreateGenerator(parseResult, shared);
            var value = parseResult.GetValue(text);
            if (string.IsNullOrWhiteSpace(value))
            {
                await Console.Error.WriteLineAsync("embed: the text is empty or whitespace only.").ConfigureAwait(false);
                return 2;
            }

            var embedding = (await generator.GenerateAsync([value], cancellationToken: cancellationToken).ConfigureAwait(false))[0];
            using var stream = Console.OpenStandardOutput();
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartObject();
                json.WriteString("provider", EmbedderCli.ProviderName(generator.ExecutionProvider));
                json.WriteNumber("dimensions", embedding.Vector.Length);
                json.WriteBoolean("truncated", embedding.AdditionalProperties?.ContainsKey("truncated") == true);
                json.WriteStartArray("vector");
                foreach (var x in embedding.Vector.Span)
                {
                    json.WriteNumberValue(x);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            stream.Write("\n"u8);
            return 0;
        }));
        return command;
    }
}

/// <summary>Options shared by the embedder commands and how they become a generator.</summary>
internal static class EmbedderCli
{
    public sealed record Options(
        Option<string> Provider,
        Option<string?> ModelDirectory,
        Option<string> Pooling,
        Option<int> Threads,
        Option<int> MaxBatch,
        Option<int> MaxWaitMicroseconds,
        Option<bool> Spin);

    public static Options AddOptions(Command command)
    {
        var options = new Options(
            new Option<string>("--provider") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" },
            new Option<string?>("--model-dir") { Description = "Folder with model.onnx and vocab.txt or tokenizer.json; default: built-in all-MiniLM-L6-v2." },
            new Option<string>("--pooling") { Description = "mean or cls: how token vectors become one (the model's training decides; MiniLM: mean).", DefaultValueFactory = _ => "mean" },
            new Option<int>("--threads") { Description = "ONNX Runtime threads per forward pass (0: one per physical core).", DefaultValueFactory = _ => new OnnxEmbedderOptions().IntraOpThreads },
            new Option<int>("--max-batch") { Description = "Micro-batch size limit.", DefaultValueFactory = _ => new OnnxEmbedderOptions().MaxBatchSize },
            new Option<int>("--max-wait-us") { Description = "Longest wait of a micro-batch's first request, in microseconds.", DefaultValueFactory = _ => new OnnxEmbedderOptions().MaxBatchWaitMicroseconds },
            new Option<bool>("--spin") { Description = "Let ONNX Runtime threads spin between runs (lower latency on an idle machine)." });
        command.Options.Add(options.Provider);
        command.Options.Add(options.ModelDirectory);
        command.Options.Add(options.Pooling);
        command.Options.Add(options.Threads);
        command.Options.Add(options.MaxBatch);
        command.Options.Add(options.MaxWaitMicroseconds);
        command.Options.Add(options.Spin);
        return options;
    }

    public static IOnnxEmbeddingGenerator CreateGenerator(ParseResult parseResult, Options options)
    {
        var providerName = parseResult.GetValue(options.Provider);
        var provider = providerName?.ToUpperInvariant() switch
        {
            "AUTO" or null => OnnxExecutionProvider.Auto,
            "CPU" => OnnxExecutionProvider.Cpu,
            "CUDA" or "GPU" => OnnxExecutionProvider.Cuda,
            _ => throw new ArgumentException($"--provider must be auto, cpu or cuda (was {providerName})."),
        };
        var poolingName = parseResult.GetValue(options.Pooling);
        var pooling = poolingName?.ToUpperInvariant() switch
        {
            "MEAN" or null => EmbeddingPooling.Mean,
            "CLS" => EmbeddingPooling.Cls,
            _ => throw new ArgumentException($"--pooling must be mean or cls (was {poolingName})."),
        };
        return OnnxEmbedder.Create(new OnnxEmbedderOptions
        {
            Pooling = pooling,
            Provider = provider,
            ModelDirectory = parseResult.GetValue(options.ModelDirectory),
            IntraOpThreads = parseResult.GetValue(options.Threads),
            MaxBatchSize = parseResult.GetValue(options.MaxBatch),
            MaxBatchWaitMicroseconds = parseResult.GetValue(options.MaxWaitMicroseconds),
            AllowThreadSpinning = parseResult.GetValue(options.Spin),
        });
    }

    /// <summary>Runs a command body; a start-up failure (bad option, missing model, unusable CUDA) becomes one stderr line and exit code 1.</summary>
    public static async Task<int> Guard(string command, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or IOException)
        {
            await Console.Error.WriteLineAsync($"{command}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    public static string ProviderName(OnnxExecutionProvider provider) =>
        provider == OnnxExecutionProvider.Cuda ? "cuda" : "cpu";

    /// <summary>The folder holding SemCache.sln, searched upwards from the working directory and from the program.</summary>
    public static string? FindRepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SemCache.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    /// <summary>The "a" and "b" sentences of a pairs.jsonl file, in file order, each sentence once.</summary>
    public static List<string> ReadPairSentences(string path, int limit)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var sentences = new List<string>();
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            foreach (var field in (ReadOnlySpan<string>)["a", "b"])
            {
                if (document.RootElement.TryGetProperty(field, out var value)
                    && value.GetString() is { } sentence
                    && !string.IsNullOrWhiteSpace(sentence)
                    && seen.Add(sentence))
                {
                    sentences.Add(sentence);
                    if (sentences.Count >= limit)
                    {
                        return sentences;
                    }
                }
            }
        }

        return sentences;
    }

    public static string Format(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
