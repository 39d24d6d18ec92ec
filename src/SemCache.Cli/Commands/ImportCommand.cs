using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache import FILE.jsonl</c>: warms a cache from JSON lines
/// <c>{"prompt","response","model"?,"systemPrompt"?,"tags"?,"ttlSeconds"?,"inputTokens"?,"outputTokens"?,"cost"?,"vector"?}</c>.
/// </summary>
internal static class ImportCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "JSON lines file to import." };
        var model = new Option<string>("--model") { Description = "Model of lines that name none.", DefaultValueFactory = _ => "default" };
        var concurrency = new Option<int>("--concurrency") { Description = "Stores in flight.", DefaultValueFactory = _ => 8 };
        var batch = new Option<int>("--batch") { Description = "Prompts embedded per embedder call (embedded store; a server embeds what it receives).", DefaultValueFactory = _ => 64 };
        var command = new Command("import", "Imports prompt/response pairs; prints {\"imported\",\"failed\",\"embedded\",\"seconds\"}. Progress goes to stderr.") { file, model, concurrency, batch };
        var connection = CacheConnection.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var path = parseResult.GetValue(file)!;
            if (!path.Exists)
            {
                await Console.Error.WriteLineAsync($"import: {path.FullName} does not exist.").ConfigureAwait(false);
                return 2;
            }

            var parallel = Math.Max(1, parseResult.GetValue(concurrency));
            var batchSize = parseResult.GetValue(batch);
            if (batchSize is < 1 or > 1024)
            {
                await Console.Error.WriteLineAsync($"import: --batch must be between 1 and 1024 (was {batchSize}).").ConfigureAwait(false);
                return 2;
            }

            var defaultModel = parseResult.GetValue(model)!;
            await using var cache = CacheConnection.Open(parseResult, connection);
            long imported = 0, failed = 0, lineNumber = 0, embedded = 0;
            var started = Stopwatch.GetTimestamp();
            var lastReport = TimeSpan.Zero;
            using var gate = new SemaphoreSlim(parallel);
            var pending = new List<Task>();
            var chunk = new List<(long Number, ImportLine Item)>(batchSize);

            async Task FlushAsync()
            {
                embedded += await EmbedChunkAsync(cache, chunk, cancellationToken).ConfigureAwait(false);
                foreach (var (number, item) in chunk)
                {
                    await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                    pending.Add(Task.Run(
                        async () =>
                        {
                            try
                            {
                                await cache.Cache.StoreAsync(item.ToRequest(cache.Tenant, defaultModel), cancellationToken).ConfigureAwait(false);
                                Interlocked.Increment(ref imported);
                            }
                            catch (Exception e) when (e is ArgumentException or UnauthorizedAccessException or global::Grpc.Core.RpcException)
                            {
                                Interlocked.Increment(ref failed);
                                await Console.Error.WriteLineAsync($"import: line {number}: {e.Message}").ConfigureAwait(false);
                            }
                            finally
                            {
                                gate.Release();
                            }
                        },
                        cancellationToken));
                }

                chunk.Clear();
                pending.RemoveAll(t => t.IsCompleted);
                var elapsed = Stopwatch.GetElapsedTime(started);
                if (elapsed - lastReport >= TimeSpan.FromSeconds(1))
                {
                    lastReport = elapsed;
                    var done = Interlocked.Read(ref imported);
                    await Console.Error.WriteLineAsync($"import: {done} stored, {embedded} embedded in batches of {batchSize}, {done / elapsed.TotalSeconds:0}/s").ConfigureAwait(false);
                }
            }

            await foreach (var line in File.ReadLinesAsync(path.FullName, cancellationToken).ConfigureAwait(false))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                try
                {
                    var item = JsonSerializer.Deserialize<ImportLine>(line, Json) ?? throw new JsonException("empty line");
                    chunk.Add((lineNumber, item));
                }
                catch (JsonException e)
                {
                    failed++;
                    await Console.Error.WriteLineAsync($"import: line {lineNumber}: {e.Message}").ConfigureAwait(false);
                }

                if (chunk.Count == batchSize) { await FlushAsync().ConfigureAwait(false); }
            }

            await FlushAsync().ConfigureAwait(false);
            await Task.WhenAll(pending).ConfigureAwait(false);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await Console.Error.WriteLineAsync($"import: {imported} stored, {embedded} embedded in batches of {batchSize}, {failed} failed, {seconds:0.0} s").ConfigureAwait(false);
            JsonLine.Write(json =>
            {
                json.WriteNumber("imported", imported);
                json.WriteNumber("failed", failed);
                json.WriteNumber("embedded", embedded);
                json.WriteNumber("seconds", Math.Round(seconds, 3));
            });
            return failed == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>
    /// Embeds, in one embedder call, the prompts of the chunk that bring no vector, and gives them
    /// their vectors (the engine then stores what it would have computed one by one). Nothing is
    /// embedded for a server, which embeds with its own model. Returns how many were embedded.
    /// </summary>
    private static async Task<long> EmbedChunkAsync(CacheConnection cache, List<(long Number, ImportLine Item)> chunk, CancellationToken cancellationToken)
    {
        if (cache.Embedder is not { } embedder) { return 0; }
        var needs = new List<int>();
        for (var i = 0; i < chunk.Count; i++)
        {
            if (chunk[i].Item.Vector is null && !string.IsNullOrEmpty(chunk[i].Item.Prompt)) { needs.Add(i); }
        }

        if (needs.Count == 0) { return 0; }
        GeneratedEmbeddings<Embedding<float>> embeddings;
        try
        {
            embeddings = await embedder.GenerateAsync(needs.Select(i => chunk[i].Item.Prompt!), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            // One unusable prompt must not fail its neighbours: the engine embeds each and reports the bad line.
            await Console.Error.WriteLineAsync($"import: batch embedding failed ({e.Message}); these lines are embedded one by one").ConfigureAwait(false);
            return 0;
        }

        for (var j = 0; j < needs.Count; j++)
        {
            var i = needs[j];
            chunk[i] = (chunk[i].Number, chunk[i].Item with { Vector = embeddings[j].Vector.ToArray() });
        }

        return needs.Count;
    }

    private sealed record ImportLine
    {
        public string? Prompt { get; init; }

        public string? Response { get; init; }

        public string? Model { get; init; }

        public string? SystemPrompt { get; init; }

        public string[]? Tags { get; init; }

        public double? TtlSeconds { get; init; }

        public long InputTokens { get; init; }

        public long OutputTokens { get; init; }

        public double Cost { get; init; }

        public float[]? Vector { get; init; }

        public CacheStoreRequest ToRequest(string tenant, string defaultModel) => new()
        {
            Tenant = tenant,
            Scope = new CacheScope { Model = Model ?? defaultModel, SystemPrompt = SystemPrompt },
            Prompt = Prompt ?? throw new ArgumentException("prompt is required.", nameof(Prompt)),
            Response = Response ?? throw new ArgumentException("response is required.", nameof(Response)),
            Tags = Tags,
            TimeToLive = TtlSeconds is { } ttl ? TimeSpan.FromSeconds(ttl) : null,
            Usage = InputTokens + OutputTokens > 0 || Cost > 0 ? new CacheUsage(InputTokens, OutputTokens, Cost) : null,
            Vector = Vector is null ? null : new ReadOnlyMemory<float>(Vector),
        };
    }
}
