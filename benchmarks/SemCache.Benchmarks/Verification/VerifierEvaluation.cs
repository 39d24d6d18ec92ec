using System.Globalization;
using System.Text.Json;
using SemCache.Verification;

namespace SemCache.Benchmarks.Verification;

/// <summary>
/// Offline evaluation of the verifier on labelled pairs, with cosine similarities from precomputed
/// embeddings (.fvecs) when given. Not part of the product: it exists to choose the rules and the
/// default threshold from data.
/// Usage: dotnet run -c Release --project benchmarks/SemCache.Benchmarks -- verifier-eval
///   --pairs FILE.jsonl [--limit N] [--a A.fvecs --b B.fvecs] [--mode isolated|pooled] [--off Numbers,WordOrder,...] [--set NearIdenticalMinSimilarity=0.98,...]
///   [--examples Order|Entity|...|accepted [--label true|false] [--skip N]] [--dump THRESHOLD (pooled: list wrong hits)]
/// </summary>
internal static class VerifierEvaluation
{
    private static readonly float[] Thresholds = [0.70f, 0.75f, 0.78f, 0.80f, 0.82f, 0.84f, 0.86f, 0.88f, 0.90f, 0.92f, 0.93f, 0.94f, 0.95f, 0.955f, 0.96f, 0.965f, 0.97f, 0.98f];

    public static int Run(string[] args)
    {
        var options = ParseArgs(args);
        var pairs = ReadPairs(options["pairs"]);
        if (options.TryGetValue("limit", out var limitText))
        {
            pairs = pairs.Take(int.Parse(limitText, CultureInfo.InvariantCulture)).ToList();
        }
        var verifierOptions = new VerifierOptions();
        if (options.TryGetValue("off", out var off))
        {
            foreach (var rule in off.Split(','))
            {
                var property = typeof(VerifierOptions).GetProperty(rule) ?? throw new ArgumentException($"unknown rule {rule}", nameof(args));
                property.SetValue(verifierOptions, false);
            }
        }

        if (options.TryGetValue("set", out var settings))
        {
            foreach (var setting in settings.Split(','))
            {
                var parts = setting.Split('=');
                var property = typeof(VerifierOptions).GetProperty(parts[0]) ?? throw new ArgumentException($"unknown option {parts[0]}", nameof(args));
                property.SetValue(verifierOptions, Convert.ChangeType(parts[1], property.PropertyType, CultureInfo.InvariantCulture));
            }
        }

        var verifier = new PromptVerifier(verifierOptions);
        var analysesA = pairs.Select(p => PromptAnalysis.Analyze(p.A)).ToArray();
        var analysesB = pairs.Select(p => PromptAnalysis.Analyze(p.B)).ToArray();
        float[][]? a = null, b = null;
        if (options.TryGetValue("a", out var aPath) && options.TryGetValue("b", out var bPath))
        {
            a = ReadFvecs(aPath)[..pairs.Count];
            b = ReadFvecs(bPath)[..pairs.Count];
        }

        var results = new VerificationResult[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            results[i] = verifier.Verify(analysesB[i], analysesA[i], a is null || b is null ? 1f : Dot(a[i], b[i]));
        }

        PrintRuleTable(pairs, results);
        if (options.TryGetValue("examples", out var exampleRule))
        {
            PrintExamples(pairs, results, exampleRule, options.GetValueOrDefault("label", "true") == "true", int.Parse(options.GetValueOrDefault("skip", "0"), CultureInfo.InvariantCulture));
        }

        if (a is null || b is null)
        {
            return 0;
        }
        if (options.GetValueOrDefault("mode", "isolated") == "pooled")
        {
            Pooled(pairs, a, b, analysesA, analysesB, verifier, float.Parse(options.GetValueOrDefault("dump", "0"), CultureInfo.InvariantCulture));
        }
        else
        {
            Isolated(pairs, a, b, results);
        }

        return 0;
    }

    private static void Isolated(List<Pair> pairs, float[][] a, float[][] b, VerificationResult[] results)
    {
        var similarity = new float[pairs.Count];
        for (var i = 0; i < pairs.Count; i++)
        {
            similarity[i] = Dot(a[i], b[i]);
        }

        var duplicates = pairs.Count(p => p.Duplicate);
        var negatives = pairs.Count - duplicates;
        Console.WriteLine("threshold | cosine only: precision recall fhr | with verifier: precision recall fhr");
        foreach (var threshold in Thresholds)
        {
            int tp = 0, fp = 0, vtp = 0, vfp = 0;
            for (var i = 0; i < pairs.Count; i++)
            {
                if (similarity[i] < threshold)
                {
                    continue;
                }

                if (pairs[i].Duplicate)
                {
                    tp++;
                    vtp += results[i].Accepted ? 1 : 0;
                }
                else
                {
                    fp++;
                    vfp += results[i].Accepted ? 1 : 0;
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{threshold:0.000} | {Ratio(tp, tp + fp):0.000} {Ratio(tp, duplicates):0.000} {Ratio(fp, negatives):0.000} | {Ratio(vtp, vtp + vfp):0.000} {Ratio(vtp, duplicates):0.000} {Ratio(vfp, negatives):0.000}"));
        }
    }

    private static void Pooled(List<Pair> pairs, float[][] a, float[][] b, PromptAnalysis[] analysesA, PromptAnalysis[] analysesB, PromptVerifier verifier, float dumpThreshold)
    {
        var dump = dumpThreshold > 0;
        // Store every distinct a once; a lookup may hit the pair's own a or an entry whose text equals b.
        var distinct = new Dictionary<string, int>(StringComparer.Ordinal);
        var entries = new List<int>();
        for (var i = 0; i < pairs.Count; i++)
        {
            if (distinct.TryAdd(pairs[i].A, entries.Count))
            {
                entries.Add(i);
            }
        }

        Console.WriteLine("threshold | cosine only: recall wrong_entry | with verifier (4 candidates): precision recall wrong_entry");
        foreach (var threshold in Thresholds)
        {
            int hits = 0, wrong = 0, vhits = 0, vwrong = 0, duplicates = 0;
            var above = new List<(float Sim, int Entry)>();
            for (var i = 0; i < pairs.Count; i++)
            {
                duplicates += pairs[i].Duplicate ? 1 : 0;
                above.Clear();
                for (var e = 0; e < entries.Count; e++)
                {
                    var sim = Dot(b[i], a[entries[e]]);
                    if (sim >= threshold)
                    {
                        above.Add((sim, e));
                    }
                }

                above.Sort(static (x, y) => y.Sim.CompareTo(x.Sim));
                var found = Math.Min(4, above.Count);
                var top = above;
                if (found == 0)
                {
                    continue;
                }

                bool Correct(int entry) => entries[entry] == i || string.Equals(pairs[entries[entry]].A, pairs[i].B, StringComparison.Ordinal)
                    || string.Equals(pairs[entries[entry]].A, pairs[i].A, StringComparison.Ordinal);

                hits++;
                wrong += Correct(top[0].Entry) ? 0 : 1;
                for (var k = 0; k < found; k++)
                {
                    var entry = top[k].Entry;
                    var verdict = verifier.Verify(analysesB[i], analysesA[entries[entry]], top[k].Sim);
                    if (dump && Math.Abs(threshold - dumpThreshold) < 1e-4 && (verdict.Accepted != Correct(entry)))
                    {
                        Console.WriteLine($"{(Correct(entry) ? "VETOED-CORRECT" : "ACCEPTED-WRONG")} sim {top[k].Sim:0.000} rank {k}\n  Q: {pairs[i].B}\n  E: {pairs[entries[entry]].A}\n  own: {pairs[i].A}\n  -> {string.Join(',', verdict.GetReasons())}");
                    }

                    if (verdict.Accepted)
                    {
                        vhits++;
                        vwrong += Correct(entry) ? 0 : 1;
                        break;
                    }
                }
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{threshold:0.000} | {Ratio(hits - wrong, duplicates):0.000} {Ratio(wrong, pairs.Count):0.000} | {Ratio(vhits - vwrong, vhits):0.000} {Ratio(vhits - vwrong, duplicates):0.000} {Ratio(vwrong, pairs.Count):0.000} ({vwrong})"));
        }
    }

    private static void PrintRuleTable(List<Pair> pairs, VerificationResult[] results)
    {
        var positives = pairs.Count(p => p.Duplicate);
        var negatives = pairs.Count - positives;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pairs {pairs.Count}, duplicates {positives}, negatives {negatives}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"verifier alone: vetoes duplicates {Ratio(results.Where((r, i) => pairs[i].Duplicate && !r.Accepted).Count(), positives):0.000}, vetoes negatives {Ratio(results.Where((r, i) => !pairs[i].Duplicate && !r.Accepted).Count(), negatives):0.000}"));
        for (var bit = 0; bit < VerificationResult.VetoCodes.Length; bit++)
        {
            var reason = (VetoReasons)(1 << bit);
            var pos = results.Where((r, i) => pairs[i].Duplicate && r.Has(reason)).Count();
            var neg = results.Where((r, i) => !pairs[i].Duplicate && r.Has(reason)).Count();
            var onlyPos = results.Where((r, i) => pairs[i].Duplicate && r.Vetoes == reason).Count();
            var onlyNeg = results.Where((r, i) => !pairs[i].Duplicate && r.Vetoes == reason).Count();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {VerificationResult.VetoCodes[bit],-14} duplicates {pos,5} (alone {onlyPos,5})  negatives {neg,5} (alone {onlyNeg,5})"));
        }
    }

    private static void PrintExamples(List<Pair> pairs, VerificationResult[] results, string rule, bool duplicates, int skip)
    {
        var accepted = rule == "accepted";
        var reason = accepted ? VetoReasons.None : Enum.Parse<VetoReasons>(rule, ignoreCase: true);
        var shown = -skip;
        for (var i = 0; i < pairs.Count && shown < 40; i++)
        {
            if (pairs[i].Duplicate == duplicates && (accepted ? results[i].Accepted : results[i].Has(reason)))
            {
                if (shown >= 0)
                {
                    Console.WriteLine($"A: {pairs[i].A}\nB: {pairs[i].B}\n   -> {string.Join(',', results[i].GetReasons())}\n");
                }

                shown++;
            }
        }
    }

    private static float Dot(float[] x, float[] y) => System.Numerics.Tensors.TensorPrimitives.Dot(x, y);

    private static double Ratio(int numerator, int denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    private static Dictionary<string, string> ParseArgs(string[] args)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            map[args[i].TrimStart('-')] = args[i + 1];
        }

        if (!map.ContainsKey("pairs"))
        {
            throw new ArgumentException("--pairs FILE.jsonl is required", nameof(args));
        }

        return map;
    }

    private static List<Pair> ReadPairs(string path)
    {
        var pairs = new List<Pair>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            pairs.Add(new Pair(root.GetProperty("a").GetString() ?? string.Empty, root.GetProperty("b").GetString() ?? string.Empty, root.GetProperty("duplicate").GetBoolean()));
        }

        return pairs;
    }

    private static float[][] ReadFvecs(string path)
    {
        var vectors = new List<float[]>();
        using var reader = new BinaryReader(File.OpenRead(path));
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            var dimensions = reader.ReadInt32();
            var vector = new float[dimensions];
            for (var d = 0; d < dimensions; d++)
            {
                vector[d] = reader.ReadSingle();
            }

            vectors.Add(vector);
        }

        return [.. vectors];
    }

    private sealed record Pair(string A, string B, bool Duplicate);
}
