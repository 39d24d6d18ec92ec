using System.Buffers.Binary;
using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache embed-file --input FILE.txt --output FILE.fvecs</c>: one text per line in; .fvecs
/// out (per vector: int32 dimension, then the float32 components, little-endian), L2-normalised.
/// </summary>
internal static class EmbedFileCommand
{
    public static Command Create()
    {
        var input = new Option<FileInfo>("--input") { Description = "UTF-8 text file, one text per line.", Required = true };
        var output = new Option<FileInfo>("--output") { Description = "The .fvecs file to write.", Required = true };
        var batch = new Option<int>("--batch") { Description = "Texts per forward pass.", DefaultValueFactory = _ => 64 };
        var command = new Command("embed-file", "Embeds every line of a text file and writes the vectors as .fvecs, in line order.")
        {
            input,
            output,
            batch,
        };
        var shared = EmbedderCli.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var inputFile = parseResult.GetValue(input)!;
            var outputFile = parseResult.GetValue(output)!;
            var batchSize = parseResult.GetValue(batch);
            if (batchSize is < 1 or > 1024)
            {
                await Console.Error.WriteLineAsync($"embed-file: --batch must be between 1 and 1024 (was {batchSize}).").ConfigureAwait(false);
                return 2;
            }

            var lines = await File.ReadAllLinesAsync(inputFile.FullName, Encoding.UTF8, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < lines.Length; i++)
            {
                if (string.IsNullOrWhiteSpace(lines[i]))
                {
                    await Console.Error.WriteLineAsync($"embed-file: line {i + 1} of {inputFile.FullName} is empty; every line must hold a text.").ConfigureAwait(false);
                    return 2;
                }
            }

            using var generator = EmbedderCli.CreateGenerator(parseResult, shared);
            var dims = generator.Dimensions;
            var vectors = new float[batchSize * dims];
            var record = new byte[4 + (dims * 4)];
            var truncated = 0;
            var clock = Stopwatch.StartNew();
            var reportEvery = Math.Max(batchSize, lines.Length / 20);
            var nextReport = reportEvery;
            var temporary = outputFile.FullName + ".partial";
            await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                for (var start = 0; start < lines.Length; start += batchSize)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var count = Math.Min(batchSize, lines.Length - start);
                    truncated += generator.EmbedBatch(new ArraySegment<string>(lines, start, count), vectors);
                    for (var v = 0; v < count; v++)
                    {
                        BinaryPrimitives.WriteInt32LittleEndian(record, dims);
                        for (var d = 0; d < dims; d++)
                        {
                            BinaryPrimitives.WriteSingleLittleEndian(record.AsSpan(4 + (d * 4)), vectors[(v * dims) + d]);
                        }

                        stream.Write(record);
                    }

                    if (start + count >= nextReport || start + count == lines.Length)
                    {
                        nextReport += reportEvery;
                        var done = start + count;
                        await Console.Error.WriteLineAsync($"embed-file: {done}/{lines.Length} ({100.0 * done / lines.Length:0}%), {done / clock.Elapsed.TotalSeconds:0} texts/s").ConfigureAwait(false);
                    }
                }
            }

            // Whoever waits for the file never sees a half-written one.
            File.Move(temporary, outputFile.FullName, overwrite: true);
            using var stdout = Console.OpenStandardOutput();
            using (var json = new Utf8JsonWriter(stdout))
            {
                json.WriteStartObject();
                json.WriteString("input", inputFile.FullName);
                json.WriteString("output", outputFile.FullName);
                json.WriteNumber("vectors", lines.Length);
                json.WriteNumber("dimensions", dims);
                json.WriteNumber("truncated", truncated);
                json.WriteString("provider", EmbedderCli.ProviderName(generator.ExecutionProvider));
                json.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 2));
                json.WriteEndObject();
            }

            stdout.Write("\n"u8);
            return 0;
        });
        return command;
    }
}
