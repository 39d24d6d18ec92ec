using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using SemCache.Embeddings.Onnx;
using SemCache.Engine;
using SemCache.Storage;
using SemCache.Verification;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache eval-pairs --pairs FILE.jsonl [--limit N] [--mode isolated|pooled]</c>: measures
/// cache-hit quality on labelled pairs with the real engine and prints one JSON line.
/// </summary>
internal static class EvalPairsCommand
{
    public static Command Create()
    {
        var pairs = new Option<FileInfo>("--pairs") { Description = "JSONL file: one {\"a\", \"b\", \"duplicate\"} per line.", Required = true };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N lines." };
        var mode = new Option<string>("--mode") { Description = "isolated (each pair in its own scope) or pooled (all distinct a in one scope).", DefaultValueFactory = _ => "isolated" };
        var config = new Option<FileInfo?>("--config") { Description = "Configuration written by `semcache calibrate` (threshold and verifier settings); default: the built-in defaults." };
        var command = new Command("eval-pairs", "Measures precision, recall and false hits of the cache on labelled pairs.")
        {
            pairs,
            limit,
            mode,
            config,
        };
        var embedderOptions = EmbedderCli.AddOptions(command);
        var crossEncoderOptions = CrossEncoderCli.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var modeName = parseResult.GetValue(mode);
            if (modeName is not ("isolated" or "pooled"))
            {
                await Console.Error.WriteLineAsync($"eval-pairs: --mode must be isolated or pooled (was {modeName}).").ConfigureAwait(false);
                return 2;
            }

            var pooled = modeName == "pooled";
            var loaded = PairsFile.Read(parseResult.GetValue(pairs)!.FullName, parseResult.GetValue(limit));
            var settings = parseResult.GetValue(config) is { } file ? CacheConfigurationFile.Read(file.FullName) : CacheConfigurationFile.Defaults();
            using var embedder = EmbedderCli.CreateGenerator(parseResult, embedderOptions);
            using var rescoring = CrossEncoderCli.Create(parseResult, crossEncoderOptions);
            var report = await PairEvaluator.RunAsync(loaded, pooled, embedder, settings, Console.Error, cancellationToken, rescoring).ConfigureAwait(false);
            report.WriteJson(Console.OpenStandardOutput());
            return 0;
        });
        return command;
    }
}

/// <summary>One labelled pair: an answer cached for <see cref="A"/> may be served for <see cref="B"/> when <see cref="Duplicate"/>.</summary>
internal sealed record LabelledPair(string A, string B, bool Duplicate);

/// <summary>Reads <c>{"a","b","duplicate"}</c> JSON lines.</summary>
internal static class PairsFile
{
    public static List<LabelledPair> Read(string path, int? limit = null)
    {
        if (limit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "--limit must not be negative.");
        }

        return JsonLines.Read(path, limit, static (root, location) =>
        {
            if (!root.TryGetProperty("a", out var a) || !root.TryGetProperty("b", out var b) || !root.TryGetProperty("duplicate", out var duplicate)
                || a.ValueKind != JsonValueKind.String || b.ValueKind != JsonValueKind.String
                || duplicate.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
            {
                throw new FormatException($"{location}: each line must be {{\"a\": string, \"b\": string, \"duplicate\": bool}}.");
            }

            return new LabelledPair(a.GetString()!, b.GetString()!, duplicate.GetBoolean());
        });
    }
}

/// <summary>The figures <c>eval-pairs</c> prints.</summary>
internal sealed record PairEvaluationReport(
    int Pairs,
    int Duplicates,
    int TrueHits,
    int FalseHits,
    int NegativesHit,
    int WrongEntryHits,
    IReadOnlyDictionary<string, int> VetoCounts,
    double P50LookupMilliseconds)
{
    public int Negatives => Pairs - Duplicates;

    public double Precision => TrueHits + FalseHits == 0 ? 0 : (double)TrueHits / (TrueHits + FalseHits);

    public double Recall => Duplicates == 0 ? 0 : (double)TrueHits / Duplicates;

    public double FalseHitRate => Negatives == 0 ? 0 : (double)NegativesHit / Negatives;

    public void WriteJson(Stream stream)
    {
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("pairs", Pairs);
            json.WriteNumber("duplicates", Duplicates);
            json.WriteNumber("true_hits", TrueHits);
            json.WriteNumber("false_hits", FalseHits);
            json.WriteNumber("precision", Math.Round(Precision, 4));
            json.WriteNumber("recall", Math.Round(Recall, 4));
            json.WriteNumber("false_hit_rate", Math.Round(FalseHitRate, 4));
            json.WriteNumber("wrong_entry_hits", WrongEntryHits);
            json.WriteStartObject("veto_counts");
            foreach (var (rule, count) in VetoCounts.OrderBy(static v => v.Key, StringComparer.Ordinal))
            {
                json.WriteNumber(rule, count);
            }

            json.WriteEndObject();
            json.WriteNumber("p50_lookup_ms", Math.Round(P50LookupMilliseconds, 4));
            json.WriteEndObject();
        }

        stream.Write("\n"u8);
        stream.Flush();
    }
}

/// <summary>
/// Runs labelled pairs through the real engine (in memory): stores the <c>a</c> prompts, looks up
/// the <c>b</c> prompts, and counts hits by label. Texts are embedded in batches first and the
/// requests carry their vectors, so <c>p50_lookup_ms</c> is the engine's lookup time (exact layer,
/// ANN search, verifier) without the embedding.
/// </summary>
internal static class PairEvaluator
{
    private const string Tenant = "eval";

    public static async Task<PairEvaluationReport> RunAsync(
        IReadOnlyList<LabelledPair> pairs,
        bool pooled,
        IOnnxEmbeddingGenerator embedder,
        CacheConfiguration settings,
        TextWriter? progress,
        CancellationToken cancellationToken,
        CrossEncoderCli.Rescoring? rescoring = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(settings);

        var vectorsA = Embed(embedder, pairs.Select(static p => p.A).ToList(), progress, "a");
        var vectorsB = Embed(embedder, pairs.Select(static p => p.B).ToList(), progress, "b");
        return await EvaluateAsync(pairs, pooled, vectorsA, vectorsB, embedder, settings, progress, cancellationToken, rescoring).ConfigureAwait(false);
    }

    /// <summary>The evaluation on vectors already computed (calibration runs it once per setting).</summary>
    public static async Task<PairEvaluationReport> EvaluateAsync(
        IReadOnlyList<LabelledPair> pairs,
        bool pooled,
        float[][] vectorsA,
        float[][] vectorsB,
        IOnnxEmbeddingGenerator embedder,
        CacheConfiguration settings,
        TextWriter? progress,
        CancellationToken cancellationToken,
        CrossEncoderCli.Rescoring? rescoring = null)
    {
        await using var cache = OpenEngine(embedder, settings, rescoring);
        return pooled
            ? await PooledAsync(cache, pairs, vectorsA, vectorsB, progress, cancellationToken).ConfigureAwait(false)
            : await IsolatedAsync(cache, pairs, vectorsA, vectorsB, progress, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// An empty engine in memory (no files) with the evaluated settings: the threshold, verifier
    /// and ambiguity margin of <paramref name="settings"/> and the optional cross-encoder.
    /// </summary>
    public static IEmbeddedSemanticCache OpenEngine(IOnnxEmbeddingGenerator embedder, CacheConfiguration settings, CrossEncoderCli.Rescoring? rescoring)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        ArgumentNullException.ThrowIfNull(settings);
        var options = new SemanticCacheOptions
        {
            Durability = CacheDurability.InMemory,
            Dimensions = embedder.Dimensions,
            SimilarityThreshold = settings.SimilarityThreshold,
            AmbiguityMargin = settings.AmbiguityMargin,
        };
        rescoring?.Apply(options);
        return SemanticCacheEngine.Open(options, embedder, verifier: settings.Verifier, rescorer: rescoring?.Rescorer);
    }

    private static async Task<PairEvaluationReport> IsolatedAsync(
        IEmbeddedSemanticCache cache, IReadOnlyList<LabelledPair> pairs, float[][] vectorsA, float[][] vectorsB, TextWriter? progress, CancellationToken cancellationToken)
    {
        // Each pair gets its own scope, so the cache holds only that pair's a when b is looked up.
        var vetoes = new Dictionary<string, int>(StringComparer.Ordinal);
        var times = new List<double>(pairs.Count);
        int duplicates = 0, trueHits = 0, falseHits = 0, negativesHit = 0;
        for (var i = 0; i < pairs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pair = pairs[i];
            var scope = ScopeOf(i);
            await cache.StoreAsync(new CacheStoreRequest { Tenant = Tenant, Scope = scope, Prompt = pair.A, Response = pair.A, Vector = vectorsA[i] }, cancellationToken).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            var result = await cache.LookupAsync(new CacheLookupRequest { Tenant = Tenant, Scope = scope, Prompt = pair.B, Vector = vectorsB[i] }, cancellationToken).ConfigureAwait(false);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            CountVetoes(result, vetoes);
            duplicates += pair.Duplicate ? 1 : 0;
            if (result.IsHit)
            {
                if (pair.Duplicate)
                {
                    trueHits++;
                }
                else
                {
                    falseHits++;
                    negativesHit++;
                }
            }

            Report(progress, i + 1, pairs.Count);
        }

        return new PairEvaluationReport(pairs.Count, duplicates, trueHits, falseHits, negativesHit, 0, vetoes, Median(times));
    }

    private static async Task<PairEvaluationReport> PooledAsync(
        IEmbeddedSemanticCache cache, IReadOnlyList<LabelledPair> pairs, float[][] vectorsA, float[][] vectorsB, TextWriter? progress, CancellationToken cancellationToken)
    {
        var scope = ScopeOf(0);
        var entryOfText = new Dictionary<string, long>(StringComparer.Ordinal);
        var textOfEntry = new Dictionary<long, string>();
        for (var i = 0; i < pairs.Count; i++)
        {
            if (entryOfText.ContainsKey(pairs[i].A))
            {
                continue;
            }

            // Each original caches its own answer (its text stands for it): distinct originals have
            // distinct answers, as distinct documentation facts do.
            var stored = await cache.StoreAsync(new CacheStoreRequest { Tenant = Tenant, Scope = scope, Prompt = pairs[i].A, Response = pairs[i].A, Vector = vectorsA[i] }, cancellationToken).ConfigureAwait(false);
            entryOfText[pairs[i].A] = stored.EntryId;
            textOfEntry[stored.EntryId] = pairs[i].A;
        }

        var vetoes = new Dictionary<string, int>(StringComparer.Ordinal);
        var times = new List<double>(pairs.Count);
        int duplicates = 0, trueHits = 0, falseHits = 0, negativesHit = 0, wrongEntries = 0;
        for (var i = 0; i < pairs.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var pair = pairs[i];
            var started = Stopwatch.GetTimestamp();
            var result = await cache.LookupAsync(new CacheLookupRequest { Tenant = Tenant, Scope = scope, Prompt = pair.B, Vector = vectorsB[i] }, cancellationToken).ConfigureAwait(false);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            CountVetoes(result, vetoes);
            duplicates += pair.Duplicate ? 1 : 0;
            if (!result.IsHit)
            {
                Report(progress, i + 1, pairs.Count);
                continue;
            }

            var own = result.EntryId == entryOfText[pair.A]
                || (textOfEntry.TryGetValue(result.EntryId, out var text) && string.Equals(text, pair.B, StringComparison.Ordinal));
            if (own && pair.Duplicate)
            {
                trueHits++;
            }
            else
            {
                falseHits++;
                negativesHit += pair.Duplicate ? 0 : 1;
                wrongEntries += own ? 0 : 1;
            }

            Report(progress, i + 1, pairs.Count);
        }

        return new PairEvaluationReport(pairs.Count, duplicates, trueHits, falseHits, negativesHit, wrongEntries, vetoes, Median(times));
    }

    private static CacheScope ScopeOf(int pair) => new()
    {
        Model = "eval",
        Extra = new Dictionary<string, string>(StringComparer.Ordinal) { ["pair"] = pair.ToString(CultureInfo.InvariantCulture) },
    };

    private static void CountVetoes(CacheLookupResult result, Dictionary<string, int> vetoes)
    {
        if (result.IsHit)
        {
            return;
        }

        foreach (var reason in result.Reasons)
        {
            if (reason.StartsWith("veto:", StringComparison.Ordinal))
            {
                var rule = reason["veto:".Length..];
                vetoes[rule] = vetoes.GetValueOrDefault(rule) + 1;
            }
        }
    }

    internal static float[][] Embed(IOnnxEmbeddingGenerator embedder, List<string> texts, TextWriter? progress, string label)
    {
        const int Chunk = 256;
        var dims = embedder.Dimensions;
        var vectors = new float[texts.Count][];
        var buffer = new float[Chunk * dims];
        for (var start = 0; start < texts.Count; start += Chunk)
        {
            var count = Math.Min(Chunk, texts.Count - start);

            // The embedder refuses empty texts; a blank prompt is embedded as one space's worth of text.
            var batch = texts.GetRange(start, count).Select(static t => string.IsNullOrWhiteSpace(t) ? "." : t).ToList();
            embedder.EmbedBatch(batch, buffer);
            for (var v = 0; v < count; v++)
            {
                vectors[start + v] = buffer.AsSpan(v * dims, dims).ToArray();
            }

            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"embedding {label}: {start + count}/{texts.Count}"));
        }

        return vectors;
    }

    private static void Report(TextWriter? progress, int done, int total)
    {
        if (progress is not null && (done % 1000 == 0 || done == total))
        {
            progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"lookups: {done}/{total}"));
        }
    }

    private static double Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        values.Sort();
        return values[values.Count / 2];
    }
}
