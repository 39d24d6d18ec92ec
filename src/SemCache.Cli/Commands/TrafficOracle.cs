using SemCache.Verification;

namespace SemCache.Cli.Commands;

/// <summary>One prompt of a replayed stream and the intent cluster it belongs to.</summary>
internal sealed record TrafficPrompt(string Prompt, string Cluster);

/// <summary>
/// How one replay decides hits: a static threshold with its verifier and margin, or an error budget δ
/// (with <see cref="Rescorer"/>, whose score is then a feature of the budget's model).
/// </summary>
internal sealed record ReplaySettings(
    string Name, float Threshold, VerifierOptions Verifier, float AmbiguityMargin, double? ErrorBudget = null, double ExplorationRate = 0.02, double Confidence = 0.95,
    ICandidateRescorer? Rescorer = null);

/// <summary>Counts of one window of the stream (the learning curve).</summary>
internal sealed record CurveWindow(int Prompts, int Hits, int Wrong, int Explorations);

/// <summary>What one replay of the stream measured; <c>Rescored</c>: lookups whose judged candidate the re-scorer scored (a <c>rescore:</c> reason).</summary>
internal sealed record ReplayResult(
    string Name, int Prompts, int Hits, int Wrong, int Explorations, long Labels, IReadOnlyList<CurveWindow> Curve, int Warmup, int HitsAfterWarmup, int WrongAfterWarmup, int Rescored = 0)
{
    public double HitRate => Prompts == 0 ? 0 : (double)Hits / Prompts;

    public double ErrorRate => Hits == 0 ? 0 : (double)Wrong / Hits;

    public double ExplorationRate => Prompts == 0 ? 0 : (double)Explorations / Prompts;

    public double ErrorRateAfterWarmup => HitsAfterWarmup == 0 ? 0 : (double)WrongAfterWarmup / HitsAfterWarmup;

    public double HitRateAfterWarmup => Prompts <= Warmup ? 0 : (double)HitsAfterWarmup / (Prompts - Warmup);
}

/// <summary>
/// The traffic oracle: replays a stream of prompts with known intent clusters, in the given order,
/// against an empty in-memory engine. Every miss stores the prompt with its cluster id as the
/// "answer", as an application stores the LLM's answer; a hit is right when the entry served
/// belongs to the prompt's own cluster. Under an error budget, the engine labels a candidate by
/// comparing its stored answer (cluster) with the one stored after the miss, which is exactly the
/// label an application that compares its own answers would produce.
/// </summary>
internal static class TrafficOracle
{
    private const string Tenant = "eval";

    public static async Task<ReplayResult> ReplayAsync(
        IReadOnlyList<TrafficPrompt> stream, float[][] vectors, ReplaySettings settings, int window, int warmup, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(vectors);
        ArgumentNullException.ThrowIfNull(settings);
        var options = new SemanticCacheOptions
        {
            Durability = CacheDurability.InMemory,
            Dimensions = vectors.Length > 0 ? vectors[0].Length : 384,
            RequestsBringVectors = true,
            SimilarityThreshold = settings.Threshold,
            AmbiguityMargin = settings.AmbiguityMargin,

            // Exact search: the replay measures the serve decision, not the index's recall.
            FlatSearchLimit = 1_000_000,
        };
        options.ErrorBudget.MaxErrorRate = settings.ErrorBudget;
        options.ErrorBudget.ExplorationRate = settings.ExplorationRate;
        options.ErrorBudget.Confidence = settings.Confidence;
        var curve = new List<CurveWindow>();
        int hits = 0, wrong = 0, explorations = 0, hitsAfter = 0, wrongAfter = 0, rescored = 0;
        int wPrompts = 0, wHits = 0, wWrong = 0, wExplore = 0;
        long labels;
        await using (var cache = SemanticCacheEngine.Open(options, embedder: null, verifier: settings.Verifier, rescorer: settings.Rescorer))
        {
            var scope = new CacheScope { Model = "eval" };
            var clusterOf = new Dictionary<long, string>();
            for (var k = 0; k < stream.Count; k++)
            {
                var (prompt, cluster) = stream[k];
                var result = await cache.LookupAsync(new CacheLookupRequest { Tenant = Tenant, Scope = scope, Prompt = prompt, Vector = vectors[k] }, cancellationToken).ConfigureAwait(false);
                wPrompts++;
                rescored += result.Reasons.Any(static r => r.StartsWith("rescore:", StringComparison.Ordinal)) ? 1 : 0;
                if (result.IsHit)
                {
                    var right = clusterOf.TryGetValue(result.EntryId, out var hitCluster) && string.Equals(hitCluster, cluster, StringComparison.Ordinal);
                    hits++;
                    wHits++;
                    wrong += right ? 0 : 1;
                    wWrong += right ? 0 : 1;
                    if (k >= warmup)
                    {
                        hitsAfter++;
                        wrongAfter += right ? 0 : 1;
                    }
                }
                else
                {
                    if (result.Reasons.Contains("explore"))
                    {
                        explorations++;
                        wExplore++;
                    }

                    var stored = await cache.StoreAsync(new CacheStoreRequest { Tenant = Tenant, Scope = scope, Prompt = prompt, Response = cluster, Vector = vectors[k] }, cancellationToken).ConfigureAwait(false);
                    clusterOf[stored.EntryId] = cluster;
                }

                if (wPrompts == window || k == stream.Count - 1)
                {
                    curve.Add(new CurveWindow(wPrompts, wHits, wWrong, wExplore));
                    wPrompts = wHits = wWrong = wExplore = 0;
                }
            }

            labels = (await cache.GetStatsAsync(Tenant, cancellationToken).ConfigureAwait(false)).BudgetLabels;
        }

        return new ReplayResult(settings.Name, stream.Count, hits, wrong, explorations, labels, curve, Math.Min(warmup, stream.Count), hitsAfter, wrongAfter, rescored);
    }

    /// <summary>
    /// Labelled pairs as a stream: every distinct text is one prompt, and texts joined by duplicate
    /// pairs (transitively) form a cluster; a negative pair's texts fall in different clusters
    /// unless duplicates join them. Texts in order of first appearance.
    /// </summary>
    public static List<TrafficPrompt> FromPairs(IReadOnlyList<LabelledPair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var texts = new List<string>();
        int Node(string text)
        {
            if (!index.TryGetValue(text, out var i))
            {
                index[text] = i = texts.Count;
                texts.Add(text);
            }

            return i;
        }

        var edges = new List<(int, int)>();
        foreach (var pair in pairs)
        {
            var a = Node(pair.A);
            var b = Node(pair.B);
            if (pair.Duplicate) { edges.Add((a, b)); }
        }

        var parent = Enumerable.Range(0, texts.Count).ToArray();
        int Find(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }

            return x;
        }

        foreach (var (a, b) in edges)
        {
            var ra = Find(a);
            var rb = Find(b);
            if (ra != rb) { parent[Math.Max(ra, rb)] = Math.Min(ra, rb); }
        }

        return [.. texts.Select((t, i) => new TrafficPrompt(t, "c" + Find(i).ToString(System.Globalization.CultureInfo.InvariantCulture)))];
    }
}
