namespace SemCache.Tests.Budget;

/// <summary>
/// The budget over a sweep of δ on one synthetic stream (fixed seed): prompts drawn around intent
/// centres, a third of the centres with a confusable twin (cosine about 0.95) that has another
/// answer, replayed into an empty cache as an application would (a miss stores the answer).
/// </summary>
public sealed class ErrorBudgetSweepTests
{
    private const int Dims = 32;
    private const int Centres = 60;
    private const int Prompts = 900;

    private static readonly string[] Words =
    [
        "river", "market", "engine", "garden", "window", "signal", "planet", "letter", "bridge", "forest",
        "canvas", "rocket", "harbor", "pencil", "silver", "ticket", "mirror", "valley", "button", "castle",
    ];

    private static float[] Unit(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(static x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    private static float[] Gaussian(Random rng, float scale) =>
        [.. Enumerable.Range(0, Dims).Select(_ => scale * (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())))];

    internal static List<(string Prompt, int Cluster, float[] Vector)> Stream(int seed)
    {
        var rng = new Random(seed);
        var centres = new float[Centres][];
        for (var c = 0; c < Centres; c++)
        {
            // Every third centre is the twin of the one before it: close, with another answer.
            centres[c] = c % 3 == 2 ? Unit([.. centres[c - 1].Zip(Gaussian(rng, 0.035f), static (a, b) => a + b)]) : Unit(Gaussian(rng, 1));
        }

        var stream = new List<(string, int, float[])>();
        for (var i = 0; i < Prompts; i++)
        {
            var cluster = rng.Next(Centres);
            var vector = Unit([.. centres[cluster].Zip(Gaussian(rng, 0.045f), static (a, b) => a + b)]);
            var prompt = string.Join(' ', Enumerable.Range(0, 4).Select(_ => Words[rng.Next(Words.Length)])) + " " + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            stream.Add((prompt, cluster, vector));
        }

        return stream;
    }

    internal static async Task<(int Hits, int Wrong)> ReplayAsync(List<(string Prompt, int Cluster, float[] Vector)> stream, double delta, ICandidateRescorer? rescorer = null)
    {
        var options = new SemanticCacheOptions { Durability = CacheDurability.InMemory, Dimensions = Dims, RequestsBringVectors = true };
        options.ErrorBudget.MaxErrorRate = delta;

        // The verifier judges words; these prompts are random words with a running number, so it is off here.
        await using var cache = SemanticCacheEngine.Open(options, verifier: new SemCache.Verification.VerifierOptions { Enabled = false }, rescorer: rescorer);
        var scope = new CacheScope { Model = "sweep" };
        var clusterOf = new Dictionary<long, int>();
        int hits = 0, wrong = 0;
        foreach (var (prompt, cluster, vector) in stream)
        {
            var result = await cache.LookupAsync(new CacheLookupRequest { Tenant = "t", Scope = scope, Prompt = prompt, Vector = vector });
            if (result.IsHit)
            {
                hits++;
                wrong += clusterOf[result.EntryId] == cluster ? 0 : 1;
                continue;
            }

            var stored = await cache.StoreAsync(new CacheStoreRequest { Tenant = "t", Scope = scope, Prompt = prompt, Response = "cluster " + cluster, Vector = vector });
            clusterOf[stored.EntryId] = cluster;
        }

        return (hits, wrong);
    }

    [Fact]
    public async Task A_smaller_error_budget_never_gives_a_higher_error_rate_and_each_stays_within_its_budget()
    {
        // Three streams (fixed seeds), pooled per δ: each replay stores what it missed, so two budgets
        // see different caches after their first different decision, and on one small stream a single
        // wrong hit can decide the order of two near budgets (with easier twins, seed 20261201 alone
        // gave 3 wrong of 610 hits at δ 0.2 and 2 of 647 at 0.3). The property is a statistical one;
        // pooled over the three streams it is asserted exactly. Measured (since the gap cap of 0.15
        // and the exploration rate of 0.02): δ 0.01 and 0.02 serve nothing; 0.05: 90 hits, 0 wrong;
        // 0.1: 640, 2; 0.2: 1,205, 33; 0.3: 1,545, 125.
        var streams = new[] { Stream(20261201), Stream(7), Stream(1234) };
        double[] deltas = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3];
        var results = new List<(double Delta, int Hits, int Wrong, double Error)>();
        foreach (var delta in deltas)
        {
            int hits = 0, wrong = 0;
            foreach (var stream in streams)
            {
                var (h, w) = await ReplayAsync(stream, delta);
                hits += h;
                wrong += w;
            }

            results.Add((delta, hits, wrong, hits == 0 ? 0 : (double)wrong / hits));
        }

        var report = string.Join("; ", results.Select(static r => $"δ={r.Delta}: {r.Hits} hits, {r.Wrong} wrong, error {r.Error:0.0000}"));
        for (var i = 1; i < results.Count; i++)
        {
            Assert.True(results[i - 1].Error <= results[i].Error, "a smaller δ gave a higher error rate: " + report);
        }

        foreach (var r in results) { Assert.True(r.Error <= r.Delta, "error above its budget: " + report); }

        // Not vacuous: the largest budget serves, and serves more than the smallest.
        Assert.True(results[^1].Hits > results[0].Hits, "the budget never served: " + report);
    }
}
