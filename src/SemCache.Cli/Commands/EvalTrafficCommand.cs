using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using SemCache.Verification;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache eval-traffic --prompts FILE.jsonl | --pairs FILE.jsonl [--error-budget δ ...]</c>: replays
/// prompts with intent clusters in a seeded random order against an empty cache, storing every miss
/// with its cluster id as the answer (the oracle); a hit is correct when it returns an entry of the
/// prompt's own cluster. With error budgets, each δ is replayed too, with its learning curve, beside
/// plain cosine thresholds and the <c>--config</c> baselines, all in the same run on the same vectors.
/// With <c>--cross-encoder DIR</c> the budget replays feed the cross-encoder's score of each judged
/// candidate to the budget's model (the static baselines stay plain thresholds).
/// </summary>
internal static class EvalTrafficCommand
{
    private static readonly float[] DefaultThresholds = [0.80f, 0.84f, 0.86f, 0.88f, 0.90f, 0.92f, 0.94f, 0.96f, 0.98f];

    public static Command Create()
    {
        var prompts = new Option<FileInfo?>("--prompts") { Description = "JSONL file: one {\"prompt\", \"cluster\"} per line." };
        var pairsFile = new Option<FileInfo?>("--pairs") { Description = "JSONL file of labelled pairs {\"a\", \"b\", \"duplicate\"}, turned into clusters (duplicates joined transitively); instead of --prompts." };
        var seed = new Option<int>("--seed") { Description = "Seed of the replay order.", DefaultValueFactory = _ => 42 };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N lines." };
        var config = new Option<FileInfo[]>("--config")
        {
            Description = "Configuration written by `semcache calibrate` (repeatable): the first sets the replay (and the verifier of the error budget); each is also a static baseline. Default: the built-in defaults.",
            AllowMultipleArgumentsPerToken = false,
        };
        var budgets = new Option<double[]>("--error-budget") { Description = "Replay with this error budget δ (MaxErrorRate, 0 to 1 exclusive); repeatable." };
        var exploration = new Option<double>("--exploration-rate") { Description = "ErrorBudget.ExplorationRate of the budget replays.", DefaultValueFactory = _ => 0.02 };
        var confidence = new Option<double>("--confidence") { Description = "ErrorBudget.Confidence of the budget replays (0.5 to 0.9999).", DefaultValueFactory = _ => 0.95 };
        var thresholds = new Option<string?>("--thresholds") { Description = "Plain cosine baselines (verifier off, no margin), comma-separated; default with --error-budget: 0.80,0.84,...,0.98." };
        var window = new Option<int>("--window") { Description = "Prompts per learning-curve point.", DefaultValueFactory = _ => 1000 };
        var warmup = new Option<int>("--warmup") { Description = "Prompts after which error_rate_after_warmup is counted.", DefaultValueFactory = _ => 1000 };
        var plot = new Option<FileInfo?>("--plot") { Description = "PNG file: learning curve of the first error budget beside the best static threshold." };
        var command = new Command("eval-traffic", "Replays clustered prompts against an empty cache and measures hit rate and hit precision, with error budgets and static baselines.")
        {
            prompts, pairsFile, seed, limit, config, budgets, exploration, confidence, thresholds, window, warmup, plot,
        };
        var embedderOptions = EmbedderCli.AddOptions(command);
        var crossEncoderOptions = CrossEncoderCli.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var promptsFile = parseResult.GetValue(prompts);
            var pairs = parseResult.GetValue(pairsFile);
            if ((promptsFile is null) == (pairs is null))
            {
                await Console.Error.WriteLineAsync("eval-traffic: give exactly one of --prompts and --pairs.").ConfigureAwait(false);
                return 2;
            }

            var deltas = parseResult.GetValue(budgets) ?? [];
            if (deltas.Any(static d => !(d is > 0 and < 1)))
            {
                await Console.Error.WriteLineAsync("eval-traffic: --error-budget must be above 0 and below 1.").ConfigureAwait(false);
                return 2;
            }

            var explorationRate = parseResult.GetValue(exploration);
            var windowSize = parseResult.GetValue(window);
            var warmupSize = parseResult.GetValue(warmup);
            var bound = parseResult.GetValue(confidence);
            if (!(explorationRate is >= 0 and <= 1) || !(bound is >= 0.5 and <= 0.9999) || windowSize < 1 || warmupSize < 0)
            {
                await Console.Error.WriteLineAsync("eval-traffic: --exploration-rate must be from 0 to 1, --confidence from 0.5 to 0.9999, --window at least 1, --warmup not negative.").ConfigureAwait(false);
                return 2;
            }

            float[] cosine;
            try
            {
                cosine = parseResult.GetValue(thresholds) is { } list
                    ? [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(static t => float.Parse(t, CultureInfo.InvariantCulture))]
                    : deltas.Length > 0 ? DefaultThresholds : [];
            }
            catch (FormatException)
            {
                await Console.Error.WriteLineAsync("eval-traffic: --thresholds must be numbers separated by commas, e.g. 0.88,0.92.").ConfigureAwait(false);
                return 2;
            }

            if (cosine.Any(static t => !(t is >= 0 and <= 1)))
            {
                await Console.Error.WriteLineAsync("eval-traffic: --thresholds must be from 0 to 1.").ConfigureAwait(false);
                return 2;
            }

            var traffic = promptsFile is not null
                ? Read(promptsFile.FullName, parseResult.GetValue(limit))
                : TrafficOracle.FromPairs(PairsFile.Read(pairs!.FullName, parseResult.GetValue(limit)));
            var configs = (parseResult.GetValue(config) ?? []).Select(f => (Name: "config:" + f.Name, Settings: CacheConfigurationFile.Read(f.FullName))).ToList();
            var main = configs.Count > 0 ? configs[0].Settings : CacheConfigurationFile.Defaults();
            using var embedder = EmbedderCli.CreateGenerator(parseResult, embedderOptions);
            using var rescoring = CrossEncoderCli.Create(parseResult, crossEncoderOptions);

            // A fixed, seeded order: the same file and seed replay identically.
            var order = Enumerable.Range(0, traffic.Count).ToArray();
            new Random(parseResult.GetValue(seed)).Shuffle(order);
            var stream = order.Select(i => traffic[i]).ToList();
            var vectors = PairEvaluator.Embed(embedder, stream.Select(static p => p.Prompt).ToList(), Console.Error, "prompts");

            // The main replay runs through the real engine with the evaluated settings (and the optional cross-encoder), as before.
            var (hits, correct) = await ReplayMainAsync(stream, vectors, embedder, main, rescoring, cancellationToken).ConfigureAwait(false);
            var baseline = new List<ReplayResult>();
            foreach (var t in cosine)
            {
                baseline.Add(await Replay(stream, vectors, new ReplaySettings(string.Create(CultureInfo.InvariantCulture, $"cosine:{t:0.00}"), t, new VerifierOptions { Enabled = false }, 0f), windowSize, warmupSize, cancellationToken).ConfigureAwait(false));
            }

            // SemCache's own static decision (the --config verifier and margin) at the same thresholds.
            var rules = new List<ReplayResult>();
            foreach (var t in cosine)
            {
                rules.Add(await Replay(stream, vectors, new ReplaySettings(string.Create(CultureInfo.InvariantCulture, $"rules:{t:0.00}"), t, main.Verifier, main.AmbiguityMargin), windowSize, warmupSize, cancellationToken).ConfigureAwait(false));
            }

            var configured = new List<ReplayResult>();
            if (deltas.Length > 0 || configs.Count > 1)
            {
                configured.Add(await Replay(stream, vectors, new ReplaySettings(configs.Count > 0 ? configs[0].Name : "defaults", main.SimilarityThreshold, main.Verifier, main.AmbiguityMargin), windowSize, warmupSize, cancellationToken).ConfigureAwait(false));
                foreach (var (name, settings) in configs.Skip(1))
                {
                    configured.Add(await Replay(stream, vectors, new ReplaySettings(name, settings.SimilarityThreshold, settings.Verifier, settings.AmbiguityMargin), windowSize, warmupSize, cancellationToken).ConfigureAwait(false));
                }
            }

            var budgetResults = new List<ReplayResult>();
            foreach (var delta in deltas)
            {
                budgetResults.Add(await Replay(stream, vectors, new ReplaySettings(string.Create(CultureInfo.InvariantCulture, $"budget:{delta}"), main.SimilarityThreshold, main.Verifier, main.AmbiguityMargin, delta, explorationRate, bound, rescoring?.Rescorer), windowSize, warmupSize, cancellationToken).ConfigureAwait(false));
            }

            if (parseResult.GetValue(plot) is { } png && budgetResults.Count > 0)
            {
                var best = BestStaticAtError(baseline.Concat(rules), budgetResults[0].ErrorRate);
                LearningCurvePlot.Write(png.FullName, budgetResults[0], deltas[0], best);
            }

            using var stdout = Console.OpenStandardOutput();
            using (var json = new Utf8JsonWriter(stdout))
            {
                json.WriteStartObject();
                json.WriteNumber("prompts", stream.Count);
                json.WriteNumber("clusters", stream.Select(static p => p.Cluster).Distinct(StringComparer.Ordinal).Count());
                json.WriteNumber("hits", hits);
                json.WriteNumber("hit_rate", Rate(hits, stream.Count));
                json.WriteNumber("hit_precision", hits == 0 ? 0 : Math.Round((double)correct / hits, 4));
                if (baseline.Count + configured.Count > 0)
                {
                    json.WriteStartArray("baselines");
                    foreach (var r in baseline.Concat(rules).Concat(configured))
                    {
                        json.WriteStartObject();
                        WriteCounts(json, r);
                        WriteDominated(json, r, baseline);
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                if (budgetResults.Count > 0)
                {
                    json.WriteStartArray("budgets");
                    for (var i = 0; i < budgetResults.Count; i++)
                    {
                        var r = budgetResults[i];
                        json.WriteStartObject();
                        json.WriteNumber("max_error_rate", deltas[i]);
                        WriteCounts(json, r);
                        json.WriteNumber("explorations", r.Explorations);
                        json.WriteNumber("exploration_rate", Math.Round(r.ExplorationRate, 4));
                        json.WriteNumber("labels", r.Labels);

                        // With --cross-encoder the model's score of the judged candidate is a feature of the budget.
                        json.WriteBoolean("cross_encoder", rescoring is not null);
                        json.WriteNumber("rescored", r.Rescored);
                        json.WriteNumber("warmup", r.Warmup);
                        json.WriteNumber("hit_rate_after_warmup", Math.Round(r.HitRateAfterWarmup, 4));
                        json.WriteNumber("error_rate_after_warmup", Math.Round(r.ErrorRateAfterWarmup, 4));
                        WriteBest(json, "cosine", r, BestStaticAtError(baseline, r.ErrorRate));
                        WriteBest(json, "rules", r, BestStaticAtError(rules, r.ErrorRate));

                        WriteDominated(json, r, baseline);
                        json.WriteStartArray("curve");
                        var seen = 0;
                        foreach (var w in r.Curve)
                        {
                            seen += w.Prompts;
                            json.WriteStartObject();
                            json.WriteNumber("prompts", seen);
                            json.WriteNumber("hit_rate", Rate(w.Hits, w.Prompts));
                            json.WriteNumber("error_rate", Rate(w.Wrong, w.Hits));
                            json.WriteNumber("exploration_rate", Rate(w.Explorations, w.Prompts));
                            json.WriteEndObject();
                        }

                        json.WriteEndArray();
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            stdout.Write("\n"u8);
            return 0;
        });
        return command;
    }

    private static double Rate(int part, int whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 4);

    private static Task<ReplayResult> Replay(List<TrafficPrompt> stream, float[][] vectors, ReplaySettings settings, int window, int warmup, CancellationToken cancellationToken)
    {
        Console.Error.WriteLine("replaying " + settings.Name);
        return TrafficOracle.ReplayAsync(stream, vectors, settings, window, warmup, cancellationToken);
    }

    /// <summary>The plain cosine threshold with the most hits whose error rate is at most <paramref name="errorRate"/>; null when none is.</summary>
    internal static ReplayResult? BestStaticAtError(IEnumerable<ReplayResult> baselines, double errorRate) =>
        baselines.Where(b => b.ErrorRate <= errorRate + 1e-12).MaxBy(static b => b.Hits);

    /// <summary>The static replay of one family with the most hits at no higher error, and the budget's hits over its hits.</summary>
    private static void WriteBest(Utf8JsonWriter json, string family, ReplayResult budget, ReplayResult? best)
    {
        json.WriteStartObject("best_" + family + "_at_same_error");
        if (best is not null)
        {
            json.WriteString("name", best.Name);
            json.WriteNumber("hits", best.Hits);
            json.WriteNumber("error_rate", Math.Round(best.ErrorRate, 4));
            if (best.Hits > 0) { json.WriteNumber("hit_ratio", Math.Round((double)budget.Hits / best.Hits, 3)); }
        }

        json.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter json, ReplayResult r)
    {
        json.WriteString("name", r.Name);
        json.WriteNumber("hits", r.Hits);
        json.WriteNumber("wrong", r.Wrong);
        json.WriteNumber("hit_rate", Math.Round(r.HitRate, 4));
        json.WriteNumber("error_rate", Math.Round(r.ErrorRate, 4));
    }

    /// <summary>The cosine baselines that dominate a replay: at least as many hits at no higher error, better in one.</summary>
    private static void WriteDominated(Utf8JsonWriter json, ReplayResult r, List<ReplayResult> baselines)
    {
        json.WriteStartArray("dominated_by");
        foreach (var b in baselines)
        {
            if (!ReferenceEquals(b, r) && b.Hits >= r.Hits && b.ErrorRate <= r.ErrorRate && (b.Hits > r.Hits || b.ErrorRate < r.ErrorRate))
            {
                json.WriteStringValue(b.Name);
            }
        }

        json.WriteEndArray();
    }

    private static async Task<(int Hits, int Correct)> ReplayMainAsync(
        List<TrafficPrompt> stream, float[][] vectors, Embeddings.Onnx.IOnnxEmbeddingGenerator embedder, CacheConfiguration settings, CrossEncoderCli.Rescoring? rescoring, CancellationToken cancellationToken)
    {
        const string Tenant = "eval";
        int hits = 0, correct = 0;
        await using var cache = PairEvaluator.OpenEngine(embedder, settings, rescoring);
        var scope = new CacheScope { Model = "eval" };
        var clusterOfEntry = new Dictionary<long, string>();
        for (var k = 0; k < stream.Count; k++)
        {
            var (prompt, cluster) = stream[k];
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

        return (hits, correct);
    }

    private static List<TrafficPrompt> Read(string path, int? limit)
    {
        return JsonLines.Read(path, limit, static (root, location) =>
        {
            if (!root.TryGetProperty("prompt", out var prompt) || prompt.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(prompt.GetString())
                || !root.TryGetProperty("cluster", out var cluster) || cluster.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
            {
                throw new FormatException($"{location}: each line must be {{\"prompt\": non-empty string, \"cluster\": string or number}}.");
            }

            return new TrafficPrompt(prompt.GetString()!, cluster.ValueKind == JsonValueKind.String ? cluster.GetString()! : cluster.GetRawText());
        });
    }
}
