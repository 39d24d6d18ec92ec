using System.CommandLine;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using SemCache.Engine;
using SemCache.Verification;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache calibrate --pairs FILE.jsonl --target-precision P [--mode isolated|pooled]</c>:
/// finds the similarity threshold and verifier settings (and, pooled, the ambiguity margin) that
/// reach precision P with the highest recall on labelled pairs, judged as <c>eval-pairs</c> judges
/// them in the same mode, and writes them as a configuration file.
/// </summary>
internal static class CalibrateCommand
{
    private const float LowestThreshold = 0.70f;
    private const float HighestThreshold = 0.995f;
    private const float Step = 0.005f;

    // The near-identical bar is the one continuous verifier setting; the other rules are on or
    // off, and every rule on is what the defaults were measured with.
    private static readonly float[] NearIdenticalBars = [0.96f, 0.97f, 0.975f, 0.98f, 0.985f, 0.99f];

    // Pooled calibration runs the whole engine per setting, so it walks a coarser threshold grid.
    private static readonly float[] AmbiguityMargins = [0f, 0.01f, 0.02f, 0.03f, 0.05f];
    private const float PooledStep = 0.01f;

    public static Command Create()
    {
        var pairs = new Option<FileInfo>("--pairs") { Description = "JSONL file: one {\"a\", \"b\", \"duplicate\"} per line.", Required = true };
        var target = new Option<double>("--target-precision") { Description = "Precision to reach, between 0 and 1.", Required = true };
        var output = new Option<FileInfo>("--output") { Description = "Configuration file to write.", DefaultValueFactory = _ => new FileInfo("semcache.calibration.json") };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N lines." };
        var mode = new Option<string>("--mode") { Description = "isolated (each pair on its own) or pooled (all distinct a in one cache; also calibrates the ambiguity margin).", DefaultValueFactory = _ => "isolated" };
        var command = new Command("calibrate", "Finds the threshold and verifier settings that reach a target precision with the highest recall, and writes them as configuration.")
        {
            pairs,
            target,
            output,
            limit,
            mode,
        };
        var embedderOptions = EmbedderCli.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var precisionTarget = parseResult.GetValue(target);
            if (!(precisionTarget is > 0 and <= 1))
            {
                await Console.Error.WriteLineAsync($"calibrate: --target-precision must be in (0, 1] (was {precisionTarget}).").ConfigureAwait(false);
                return 2;
            }

            var modeName = parseResult.GetValue(mode);
            if (modeName is not ("isolated" or "pooled"))
            {
                await Console.Error.WriteLineAsync($"calibrate: --mode must be isolated or pooled (was {modeName}).").ConfigureAwait(false);
                return 2;
            }

            var pairsFile = parseResult.GetValue(pairs)!;
            var loaded = PairsFile.Read(pairsFile.FullName, parseResult.GetValue(limit));
            if (!loaded.Any(static p => p.Duplicate))
            {
                await Console.Error.WriteLineAsync("calibrate: the pairs hold no duplicates, so recall is undefined.").ConfigureAwait(false);
                return 2;
            }

            using var embedder = EmbedderCli.CreateGenerator(parseResult, embedderOptions);
            var a = PairEvaluator.Embed(embedder, loaded.Select(static p => p.A).ToList(), Console.Error, "a");
            var b = PairEvaluator.Embed(embedder, loaded.Select(static p => p.B).ToList(), Console.Error, "b");
            var best = modeName == "pooled"
                ? await SearchPooledAsync(loaded, a, b, embedder, precisionTarget, cancellationToken).ConfigureAwait(false)
                : Search(loaded, a, b, precisionTarget);
            var outputFile = parseResult.GetValue(output)!;
            using var stdout = Console.OpenStandardOutput();
            using (var json = new Utf8JsonWriter(stdout))
            {
                json.WriteStartObject();
                json.WriteNumber("pairs", loaded.Count);
                json.WriteNumber("target_precision", precisionTarget);
                json.WriteBoolean("reached", best is not null);
                if (best is not null)
                {
                    json.WriteNumber("similarity_threshold", Math.Round(best.Threshold, 4));
                    json.WriteBoolean("verifier", best.Verifier.Enabled);
                    json.WriteNumber("near_identical_min_similarity", Math.Round(best.Verifier.NearIdenticalMinSimilarity, 4));
                    json.WriteNumber("ambiguity_margin", Math.Round(best.AmbiguityMargin, 4));
                    json.WriteNumber("precision", Math.Round(best.Precision, 4));
                    json.WriteNumber("recall", Math.Round(best.Recall, 4));
                    json.WriteNumber("false_hit_rate", Math.Round(best.FalseHitRate, 4));
                    json.WriteNumber("wrong_entry_hits", best.WrongEntryHits);
                    json.WriteString("output", outputFile.FullName);
                }

                json.WriteEndObject();
            }

            stdout.Write("\n"u8);
            if (best is null)
            {
                await Console.Error.WriteLineAsync($"calibrate: no threshold and verifier setting reaches precision {precisionTarget} on {pairsFile.Name}; nothing written.").ConfigureAwait(false);
                return 3;
            }

            CacheConfigurationFile.Write(outputFile.FullName, new CacheConfiguration(best.Threshold, best.Verifier, best.AmbiguityMargin), new Dictionary<string, object>
            {
                ["pairs_file"] = pairsFile.FullName,
                ["mode"] = modeName,
                ["pairs"] = loaded.Count,
                ["target_precision"] = precisionTarget,
                ["precision"] = Math.Round(best.Precision, 4),
                ["recall"] = Math.Round(best.Recall, 4),
                ["false_hit_rate"] = Math.Round(best.FalseHitRate, 4),
                ["calibrated_utc"] = DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            });
            return 0;
        });
        return command;
    }

    /// <summary>The setting with the highest recall among those reaching <paramref name="target"/>; null when none does.</summary>
    internal static Candidate? Search(IReadOnlyList<LabelledPair> pairs, float[][] a, float[][] b, double target)
    {
        var similarity = new float[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            similarity[i] = TensorPrimitives.Dot(a[i], b[i]);
        }

        var analysesA = pairs.Select(static p => PromptAnalysis.Analyze(p.A)).ToArray();
        var analysesB = pairs.Select(static p => PromptAnalysis.Analyze(p.B)).ToArray();
        var duplicates = pairs.Count(static p => p.Duplicate);
        var negatives = pairs.Count - duplicates;
        Candidate? best = null;
        foreach (var verifierOptions in CandidateSettings())
        {
            var verifier = new PromptVerifier(verifierOptions);
            // The verdict does not depend on the threshold: one per pair, then every threshold is
            // judged by the engine's own serve decision.
            var verdicts = new VerificationResult?[pairs.Count];
            for (var i = 0; i < pairs.Count; i++)
            {
                verdicts[i] = verifier.Verify(analysesB[i], analysesA[i], similarity[i]);
            }

            for (var threshold = LowestThreshold; threshold <= HighestThreshold + 1e-6f; threshold += Step)
            {
                int truePositives = 0, falsePositives = 0;
                for (var i = 0; i < pairs.Count; i++)
                {
                    if (SemanticCache.WouldServe(similarity[i], threshold, thresholdBoost: 0, verdicts[i]))
                    {
                        if (pairs[i].Duplicate)
                        {
                            truePositives++;
                        }
                        else
                        {
                            falsePositives++;
                        }
                    }
                }

                if (truePositives == 0)
                {
                    continue;
                }

                var precision = (double)truePositives / (truePositives + falsePositives);
                var recall = (double)truePositives / duplicates;
                if (precision < target || (best is not null && (recall < best.Recall || (recall == best.Recall && precision <= best.Precision))))
                {
                    continue;
                }

                best = new Candidate(threshold, verifierOptions, new SemanticCacheOptions().AmbiguityMargin, precision, recall, negatives == 0 ? 0 : (double)falsePositives / negatives, 0);
            }
        }

        return best;
    }

    /// <summary>
    /// Pooled: every distinct a in one cache, each b looked up through the real engine, so hits on
    /// another entry count against precision and the ambiguity margin matters. For each verifier
    /// setting and margin the thresholds rise until one reaches the target: recall only falls as
    /// the threshold rises, so the first is that setting's best.
    /// </summary>
    internal static async Task<Candidate?> SearchPooledAsync(
        IReadOnlyList<LabelledPair> pairs, float[][] a, float[][] b, SemCache.Embeddings.Onnx.IOnnxEmbeddingGenerator embedder, double target, CancellationToken cancellationToken)
    {
        Candidate? best = null;
        foreach (var verifierOptions in CandidateSettings())
        {
            foreach (var margin in AmbiguityMargins)
            {
                for (var threshold = LowestThreshold; threshold <= HighestThreshold + 1e-6f; threshold += PooledStep)
                {
                    var settings = new CacheConfiguration(threshold, verifierOptions, margin);
                    var report = await PairEvaluator.EvaluateAsync(pairs, pooled: true, a, b, embedder, settings, progress: null, cancellationToken).ConfigureAwait(false);
                    if (report.TrueHits == 0 || report.Precision < target)
                    {
                        continue;
                    }

                    if (best is null || report.Recall > best.Recall || (report.Recall == best.Recall && report.Precision > best.Precision))
                    {
                        best = new Candidate(threshold, verifierOptions, margin, report.Precision, report.Recall, report.FalseHitRate, report.WrongEntryHits);
                    }

                    break;
                }
            }
        }

        return best;
    }

    private static IEnumerable<VerifierOptions> CandidateSettings()
    {
        yield return new VerifierOptions { Enabled = false };
        foreach (var bar in NearIdenticalBars)
        {
            yield return new VerifierOptions { NearIdenticalMinSimilarity = bar };
        }
    }

    internal sealed record Candidate(float Threshold, VerifierOptions Verifier, float AmbiguityMargin, double Precision, double Recall, double FalseHitRate, int WrongEntryHits);
}
