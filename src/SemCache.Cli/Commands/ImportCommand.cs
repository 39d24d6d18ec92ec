using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;

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
        var command = new Command("import", "Imports prompt/response pairs; prints {\"imported\",\"failed\",\"seconds\"}. Progress goes to stderr.") { file, model, concurrency };
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
            var defaultModel = parseResult.GetValue(model)!;
            await using var cache = CacheConnection.Open(parseResult, connection);
            long imported = 0, failed = 0, lineNumber = 0;
            var started = Stopwatch.GetTimestamp();
            using var gate = new SemaphoreSlim(parallel);
            var pending = new List<Task>();
            await foreach (var line in File.ReadLinesAsync(path.FullName, cancellationToken).ConfigureAwait(false))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                var number = lineNumber;
                await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
                pending.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            var item = JsonSerializer.Deserialize<ImportLine>(line, Json) ?? throw new JsonException("empty line");
                            await cache.Cache.StoreAsync(item.ToRequest(cache.Tenant, defaultModel), cancellationToken).ConfigureAwait(false);
                            if (Interlocked.Increment(ref imported) % 1000 == 0)
                            {
                                await Console.Error.WriteLineAsync($"import: {Interlocked.Read(ref imported)} stored").ConfigureAwait(false);
                            }
                        }
                        catch (Exception e) when (e is JsonException or ArgumentException or UnauthorizedAccessException or global::Grpc.Core.RpcException)
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
                pending.RemoveAll(t => t.IsCompleted);
            }

            await Task.WhenAll(pending).ConfigureAwait(false);
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            JsonLine.Write(json =>
            {
                json.WriteNumber("imported", imported);
                json.WriteNumber("failed", failed);
                json.WriteNumber("seconds", Math.Round(seconds, 3));
            });
            return failed == 0 ? 0 : 1;
        });
        return command;
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
