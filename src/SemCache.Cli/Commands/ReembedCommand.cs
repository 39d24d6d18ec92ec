using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using SemCache.Storage;
using SemCache.Vectors;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache reembed --data DIR</c>: rebuilds every vector of an embedded store with the embedder
/// the options describe (after a model change) into a new generation beside it, <c>DIR.next</c>, and
/// swaps it in only when it is complete and checkpointed: the old generation becomes
/// <c>DIR.previous</c>. An interrupted run leaves DIR as it was. The store must not be open
/// elsewhere (stop the server first). Prints {"entries","embedded","exactOnly","dimensions","provider","seconds","previous"}.
/// </summary>
internal static class ReembedCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory of the embedded store.", DefaultValueFactory = _ => "./data" };
        var batch = new Option<int>("--batch") { Description = "Prompts per forward pass of the embedder.", DefaultValueFactory = _ => 64 };
        var command = new Command("reembed", "Re-embeds every entry of an embedded store into a new generation and swaps it in when done. Progress goes to stderr.")
        {
            data,
            batch,
        };
        var shared = EmbedderCli.AddOptions(command);
        command.SetAction((parseResult, cancellationToken) => EmbedderCli.Guard("reembed", async () =>
        {
            var directory = Path.GetFullPath(parseResult.GetValue(data)!).TrimEnd(Path.DirectorySeparatorChar);
            var batchSize = parseResult.GetValue(batch);
            if (batchSize is < 1 or > 1024)
            {
                await Console.Error.WriteLineAsync($"reembed: --batch must be between 1 and 1024 (was {batchSize}).").ConfigureAwait(false);
                return 2;
            }

            if (!Directory.Exists(directory))
            {
                await Console.Error.WriteLineAsync($"reembed: {directory} does not exist.").ConfigureAwait(false);
                return 2;
            }

            using var generator = EmbedderCli.CreateGenerator(parseResult, shared);
            var next = directory + ".next";
            var previous = directory + ".previous";
            if (Directory.Exists(next))
            {
                // What an interrupted run left behind is never swapped in: it starts over.
                await Console.Error.WriteLineAsync($"reembed: removing the unfinished generation {next}").ConfigureAwait(false);
                Directory.Delete(next, recursive: true);
            }

            var options = StoreOptions(directory);
            var clock = Stopwatch.StartNew();
            var (entries, embedded) = await CopyAsync(options, next, generator, batchSize, cancellationToken).ConfigureAwait(false);

            // The swap: two renames, the complete new generation last.
            if (Directory.Exists(previous)) { Directory.Delete(previous, recursive: true); }
            Directory.Move(directory, previous);
            Directory.Move(next, directory);
            await Console.Error.WriteLineAsync($"reembed: swapped in the new generation; the old one is in {previous}").ConfigureAwait(false);
            JsonLine.Write(json =>
            {
                json.WriteNumber("entries", entries);
                json.WriteNumber("embedded", embedded);
                json.WriteNumber("exactOnly", entries - embedded);
                json.WriteNumber("dimensions", generator.Dimensions);
                json.WriteString("provider", EmbedderCli.ProviderName(generator.ExecutionProvider));
                json.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
                json.WriteString("previous", previous);
            });
            return 0;
        }));
        return command;
    }

    /// <summary>The store options the engine would use for <paramref name="directory"/> (environment configuration, as CacheConnection reads it).</summary>
    private static SemanticCacheOptions StoreOptions(string directory)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var options = new SemanticCacheOptions();
        configuration.GetSection("SemCache").Bind(options);
        options.DataDirectory = directory;
        if (options.Durability == CacheDurability.InMemory)
        {
            throw new ArgumentException("reembed works on a store on disk; SemCache:Durability is InMemory.");
        }

        return options;
    }

    /// <summary>Copies every live entry into a new store in <paramref name="next"/>, with vectors from <paramref name="generator"/>.</summary>
    private static async Task<(long Entries, long Embedded)> CopyAsync(
        SemanticCacheOptions options, string next, Embeddings.Onnx.IOnnxEmbeddingGenerator generator, int batchSize, CancellationToken cancellationToken)
    {
        await using var source = EntryStoreFactory.Open(options, NullLogger.Instance);
        // Fast (not Durable): each put need not wait for its own commit, because the new generation
        // counts only after the checkpoint below; a crash before it leaves an unfinished DIR.next.
        var nextOptions = new SemanticCacheOptions
        {
            DataDirectory = next,
            Durability = CacheDurability.Fast,
            Dimensions = generator.Dimensions,
        };
        await using var target = EntryStoreFactory.Open(nextOptions, NullLogger.Instance);
        var dims = generator.Dimensions;
        var vectors = new float[batchSize * dims];
        var pending = new List<CacheEntryRecord>(batchSize);
        long entries = 0, embedded = 0;
        var clock = Stopwatch.StartNew();
        var lastReport = TimeSpan.Zero;

        async Task FlushAsync()
        {
            if (pending.Count == 0) { return; }
            generator.EmbedBatch(pending.Select(static r => r.Prompt).ToList(), vectors);
            for (var i = 0; i < pending.Count; i++)
            {
                var vector = new float[dims];
                var status = VectorKernels.TryNormalize(vectors.AsSpan(i * dims, dims), vector);
                if (status != VectorStatus.Ok)
                {
                    throw new InvalidOperationException($"The embedder returned an unusable vector ({status}) for entry {pending[i].Id}.");
                }

                await target.PutAsync(pending[i].WithVector(vector), cancellationToken).ConfigureAwait(false);
            }

            embedded += pending.Count;
            pending.Clear();
        }

        foreach (var record in source.ScanLive())
        {
            cancellationToken.ThrowIfCancellationRequested();
            entries++;
            if (record.Vector is null)
            {
                // Exact-only entries had no vector and get none.
                await target.PutAsync(record, cancellationToken).ConfigureAwait(false);
                continue;
            }

            pending.Add(record);
            if (pending.Count == batchSize) { await FlushAsync().ConfigureAwait(false); }
            if (clock.Elapsed - lastReport >= TimeSpan.FromSeconds(2))
            {
                lastReport = clock.Elapsed;
                await Console.Error.WriteLineAsync($"reembed: {entries} entries, {embedded} embedded, {embedded / clock.Elapsed.TotalSeconds:0} prompts/s").ConfigureAwait(false);
            }
        }

        await FlushAsync().ConfigureAwait(false);
        await target.CheckpointAsync(cancellationToken).ConfigureAwait(false);
        await Console.Error.WriteLineAsync($"reembed: {entries} entries, {embedded} embedded in batches of {batchSize}, {clock.Elapsed.TotalSeconds:0.0} s").ConfigureAwait(false);
        return (entries, embedded);
    }
}
