using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SemCache.Verification;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache eval-traffic --prompts FILE.jsonl</c>: replays prompts with intent clusters in a
/// seeded random order against an empty cache, storing every miss; a hit is correct when it
/// returns an entry of the prompt's own cluster.
/// </summary>
internal static class EvalTrafficCommand
{
    private const string Tenant = "eval";

    public static Command Create()
    {
        var prompts = new Option<FileInfo>("--prompts") { Description = "JSONL file: one {\"prompt\", \"cluster\"} per line.", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the replay order.", DefaultValueFactory = _ => 42 };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N lines." };
        var config = new Option<FileInfo?>("--config") { Description = "Configuration written by `semcache calibrate`; default: the built-in defaults." };
        var command = new Command("eval-traffic", "Replays clustered prompts against an empty cache and measures hit rate and hit precision.")
        {
            prompts,
            seed,
            limit,
            config,
        };
        var embedderOptions = EmbedderCli.AddOptions(command);
        var crossEncoderOptions = CrossEncoderCli.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var traffic = Read(parseResult.GetValue(prompts)!.FullName, parseResult.GetValue(limit));
            var settings = parseResult.GetValue(config) is { } file ? CacheConfigurationFile.Read(file.FullName) : CacheConfigurationFile.Defaults();
            using var embedder = EmbedderCli.CreateGenerator(parseResult, embedderOptions);
            using var rescoring = CrossEncoderCli.Create(parseResult, crossEncoderOptions);

            // A fixed, seeded order: the same file and seed replay identically.
            var order = Enumerable.Range(0, traffic.Count).ToArray();
            new Random(parseResult.GetValue(seed)).Shuffle(order);
            var vectors = PairEvaluator.Embed(embedder, order.Select(i => traffic[i].Prompt).ToList(), Console.Error, "prompts");
            int hits = 0, correct = 0;
            await using (var cache = PairEvaluator.OpenEngine(embedder, settings, rescoring))
            {
                var scope = new CacheScope { Model = "eval" };
                var clusterOfEntry = new Dictionary<long, string>();
                for (var k = 0; k < order.Length; k++)
                {
                    var (prompt, cluster) = traffic[order[k]];
                    var result = await cache.LookupAsync(new CacheLookupRequest { Tenant = Tenant, Scope = scope, Prompt = prompt, Vector = vectors[k] }, cancellationToken).ConfigureAwait(false);
                    if (result.IsHit)
                    {
                        hits++;
                        correct += clusterOfEntry.TryGetValue(result.EntryId, out var hitCluster) && string.Equals(hitCluster, cluster, StringComparison.Ordinal) ? 1 : 0;
                        continue;
                    }

                    var stored = await cache.StoreAsync(new CacheStoreRequest { Tenant = Tenant, Scope = scope, Prompt = prompt, Response = cluster, Vector = vectors[k] }, cancellationToken).ConfigureAwait(false);
                    clusterOfEntry[stored.EntryId] = cluster;
                }
            }

            using var stdout = Console.OpenStandardOutput();
            using (var json = new Utf8JsonWriter(stdout))
            {
                json.WriteStartObject();
                json.WriteNumber("prompts", traffic.Count);
                json.WriteNumber("hits", hits);
                json.WriteNumber("hit_rate", traffic.Count == 0 ? 0 : Math.Round((double)hits / traffic.Count, 4));
                json.WriteNumber("hit_precision", hits == 0 ? 0 : Math.Round((double)correct / hits, 4));
                json.WriteEndObject();
            }

            stdout.Write("\n"u8);
            return 0;
        });
        return command;
    }

    private static List<(string Prompt, string Cluster)> Read(string path, int? limit)
    {
        return JsonLines.Read(path, limit, static (root, location) =>
        {
            if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(prompt.GetString())
                || !root.TryGetProperty("cluster", out var cluster) || cluster.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                throw new FormatException($"{location}: each line must be {{\"prompt\": non-empty string, \"cluster\": string or number}}.");
            }

            return (prompt.GetString()!, cluster.ValueKind == JsonValueKind.String ? cluster.GetString()! : cluster.GetRawText());
        });
    }
}
