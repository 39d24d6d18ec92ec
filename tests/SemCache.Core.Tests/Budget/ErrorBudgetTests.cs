using SemCache.Engine;
using SemCache.Tests.Engine;
using SemCache.Tests.Storage;

namespace SemCache.Tests.Budget;

/// <summary>
/// The error budget through the engine, with vectors chosen so that every similarity is known: a
/// stored entry on axis 0, and each query at a chosen cosine to it on an axis of its own (so
/// queries are far from each other).
/// </summary>
public sealed class ErrorBudgetTests
{
    private const int Dims = 96;
    private static readonly CacheScope Scope = new() { Model = "budget-model" };

    private static SemanticCacheOptions Options(double? delta, string? directory = null, Action<ErrorBudgetOptions>? configure = null)
    {
        var o = new SemanticCacheOptions
        {
            DataDirectory = directory ?? "./unused",
            Durability = directory is null ? CacheDurability.InMemory : CacheDurability.Fast,
            Dimensions = Dims,
            RequestsBringVectors = true,
        };
        o.ErrorBudget.MaxErrorRate = delta;
        o.ErrorBudget.ExplorationRate = 1;
        o.ErrorBudget.MaxLabelsPerEntry = 64;
        configure?.Invoke(o.ErrorBudget);
        return o;
    }

    /// <summary>A unit vector at cosine <paramref name="similarity"/> to axis 0, the rest on axis <paramref name="axis"/>.</summary>
    private static float[] Near(float similarity, int axis)
    {
        var v = new float[Dims];
        v[0] = similarity;
        v[axis] = MathF.Sqrt(1 - (similarity * similarity));
        return v;
    }

    private static CacheStoreRequest Store(string tenant, string prompt, string response, float[] vector) =>
        new() { Tenant = tenant, Scope = Scope, Prompt = prompt, Response = response, Vector = vector };

    private static CacheLookupRequest Lookup(string tenant, string prompt, float[] vector) =>
        new() { Tenant = tenant, Scope = Scope, Prompt = prompt, Vector = vector };

    /// <summary>
    /// Replays what an application does: look up a new rewording at <paramref name="similarity"/>;
    /// on a miss, store the fresh answer <paramref name="fresh"/>. Returns how many lookups it took to
    /// get a hit (or <paramref name="rounds"/> + 1 when none came).
    /// </summary>
    private static async Task<int> TrainAsync(ISemanticCache cache, string tenant, float similarity, string fresh, int rounds, int firstAxis = 1)
    {
        for (var i = 0; i < rounds; i++)
        {
            var prompt = $"rewording {firstAxis + i} of the stored question";
            var vector = Near(similarity, firstAxis + i);
            var result = await cache.LookupAsync(Lookup(tenant, prompt, vector));
            if (result.IsHit) { return i + 1; }
            await cache.StoreAsync(Store(tenant, prompt, fresh, vector));
        }

        return rounds + 1;
    }

    [Fact]
    public async Task Without_a_budget_the_threshold_decides_and_nothing_is_labelled()
    {
        await using var cache = SemanticCacheEngine.Open(Options(delta: null));
        await cache.StoreAsync(Store("t", "the stored question", "answer", Near(1, 1)));
        var hit = await cache.LookupAsync(Lookup("t", "a rewording of the stored question", Near(0.95f, 2)));
        Assert.True(hit.IsHit);
        Assert.DoesNotContain(hit.Reasons, static r => r.StartsWith("budget:", StringComparison.Ordinal));
        Assert.Equal(0, (await cache.GetStatsAsync("t")).BudgetLabels);
    }

    [Fact]
    public async Task A_young_model_answers_a_likely_candidate_with_a_miss_to_explore_and_counts_it()
    {
        await using var cache = SemanticCacheEngine.Open(Options(delta: 0.10));
        await cache.StoreAsync(Store("t", "the stored question", "answer", Near(1, 1)));

        // The prior's estimate of P(wrong) at 0.99 is about 6 %, under δ; its bound is far above it.
        var result = await cache.LookupAsync(Lookup("t", "a rewording of the stored question", Near(0.99f, 2)));
        Assert.False(result.IsHit);
        Assert.Contains("explore", result.Reasons);
        Assert.Equal(1, (await cache.GetStatsAsync("t")).Explorations);
    }

    [Fact]
    public async Task Fresh_answers_that_agree_teach_the_entry_until_it_is_served_within_the_budget()
    {
        await using var cache = SemanticCacheEngine.Open(Options(delta: 0.05));
        await cache.StoreAsync(Store("t", "the stored question", "Paris", Near(1, 1)));
        var rounds = await TrainAsync(cache, "t", 0.96f, fresh: "paris.", rounds: 80, firstAxis: 2);

        // Normalised equality: "paris." agrees with "Paris". Measured: served at lookup 68, after 67
        // agreeing labels. That is the rule of three: with no wrong label, a 95 % bound on P(wrong)
        // falls to 5 % only after about 60 right ones.
        Assert.True(rounds <= 80, "never served after 80 agreeing answers");
        Assert.True(rounds > 1, "served before any label");
        var stats = await cache.GetStatsAsync("t");
        Assert.Equal(rounds - 1, stats.BudgetLabels);
        var served = await cache.LookupAsync(Lookup("t", "one more rewording", Near(0.96f, Dims - 1)));
        Assert.True(served.IsHit);
        Assert.Contains(served.Reasons, static r => r.StartsWith("budget:p_wrong<=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fresh_answers_that_disagree_teach_the_model_to_refuse()
    {
        await using var cache = SemanticCacheEngine.Open(Options(delta: 0.10));
        await cache.StoreAsync(Store("t", "the stored question", "Paris", Near(1, 1)));
        Assert.Equal(41, await TrainAsync(cache, "t", 0.99f, fresh: "Lyon", rounds: 40, firstAxis: 2));
        var refused = await cache.LookupAsync(Lookup("t", "one more rewording", Near(0.99f, Dims - 1)));
        Assert.False(refused.IsHit);
        Assert.Contains("veto:budget", refused.Reasons);
    }

    [Fact]
    public async Task Labels_learned_for_tenant_A_change_nothing_for_tenant_B()
    {
        await using var cache = SemanticCacheEngine.Open(Options(delta: 0.05));
        await using var untouched = SemanticCacheEngine.Open(Options(delta: 0.05));
        foreach (var c in new[] { cache, untouched })
        {
            await c.StoreAsync(Store("A", "the stored question", "Paris", Near(1, 1)));
            await c.StoreAsync(Store("B", "the stored question", "Paris", Near(1, 1)));
        }

        Assert.True(await TrainAsync(cache, "A", 0.96f, "Paris", rounds: 80, firstAxis: 2) <= 80);
        Assert.True((await cache.LookupAsync(Lookup("A", "one more rewording", Near(0.96f, Dims - 1)))).IsHit);

        // B, in the same engine, decides exactly as B in an engine where A learned nothing.
        var b = await cache.LookupAsync(Lookup("B", "one more rewording", Near(0.96f, Dims - 1)));
        var reference = await untouched.LookupAsync(Lookup("B", "one more rewording", Near(0.96f, Dims - 1)));
        Assert.False(b.IsHit);
        Assert.Equal(reference.IsHit, b.IsHit);
        Assert.Equal(reference.Reasons, b.Reasons);
        Assert.Equal(0, (await cache.GetStatsAsync("B")).BudgetLabels);
        Assert.True((await cache.GetStatsAsync("A")).BudgetLabels > 0);
    }

    [Fact]
    public async Task Labels_persist_with_the_entry_and_the_model_serves_after_a_restart()
    {
        using var directory = new TempDirectory();
        long entry;
        await using (var cache = SemanticCacheEngine.Open(Options(delta: 0.05, directory.Path)))
        {
            entry = (await cache.StoreAsync(Store("t", "the stored question", "Paris", Near(1, 1)))).EntryId;
            var rounds = await TrainAsync(cache, "t", 0.96f, "Paris", rounds: 80, firstAxis: 2);
            Assert.True(rounds <= 80, $"never served ({rounds})");
            await cache.CheckpointAsync();
        }

        await using (var reopened = SemanticCacheEngine.Open(Options(delta: 0.05, directory.Path)))
        {
            Assert.True(((SemanticCache)reopened).LabelCountOf(entry) > 0);
            var served = await reopened.LookupAsync(Lookup("t", "one more rewording", Near(0.96f, Dims - 1)));
            Assert.True(served.IsHit, string.Join(",", served.Reasons));
            Assert.Equal(entry, served.EntryId);
        }

        // The same engine without the persisted labels (a fresh directory) would not serve it.
        using var fresh = new TempDirectory();
        await using var empty = SemanticCacheEngine.Open(Options(delta: 0.05, fresh.Path));
        await empty.StoreAsync(Store("t", "the stored question", "Paris", Near(1, 1)));
        Assert.False((await empty.LookupAsync(Lookup("t", "one more rewording", Near(0.96f, Dims - 1)))).IsHit);
    }

    [Fact]
    public async Task Per_entry_labels_and_waiting_misses_stay_within_their_bounds()
    {
        await using var cache = SemanticCacheEngine.Open(Options(delta: 0.05, configure: static b =>
        {
            b.MaxLabelsPerEntry = 8;
            b.MaxPendingLabels = 4;
        }));
        var entry = (await cache.StoreAsync(Store("t", "the stored question", "Paris", Near(1, 1)))).EntryId;

        // 40 labels on one entry: it keeps its newest 8.
        await TrainAsync(cache, "t", 0.85f, "Lyon", rounds: 40, firstAxis: 2);
        Assert.Equal(40, (await cache.GetStatsAsync("t")).BudgetLabels);
        Assert.Equal(8, ((SemanticCache)cache).LabelCountOf(entry));

        // 30 misses whose fresh answers never come: at most 4 wait.
        for (var i = 0; i < 30; i++) { await cache.LookupAsync(Lookup("t", $"unanswered {i}", Near(0.86f, 50 + i))); }
        Assert.Equal(4, ((SemanticCache)cache).PendingLabelCount);
    }

    [Fact]
    public async Task Wrong_hit_feedback_on_a_budget_hit_is_a_label()
    {
        await using var cache = SemanticCacheEngine.Open(Options(delta: 0.05));
        await cache.StoreAsync(Store("t", "the stored question", "Paris", Near(1, 1)));
        await TrainAsync(cache, "t", 0.96f, "Paris", rounds: 80, firstAxis: 2);
        var served = await cache.LookupAsync(Lookup("t", "one more rewording", Near(0.96f, Dims - 1)));
        Assert.True(served.IsHit);
        var before = (await cache.GetStatsAsync("t")).BudgetLabels;
        Assert.True(await cache.ReportHitAsync(new CacheHitFeedback("t", served.EntryId, Correct: false)));
        Assert.Equal(before + 1, (await cache.GetStatsAsync("t")).BudgetLabels);
    }

    private sealed class FirstWordEquivalence : IAnswerEquivalence
    {
        public int Calls;

        public ValueTask<bool?> AreEquivalentAsync(string prompt, string cachedAnswer, string freshAnswer, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            if (freshAnswer == "boom") { throw new InvalidOperationException("the comparison failed"); }
            return ValueTask.FromResult<bool?>(string.Equals(cachedAnswer.Split(' ')[0], freshAnswer.Split(' ')[0], StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_pluggable_answer_equivalence_decides_labels_and_its_failure_costs_the_label_not_the_store()
    {
        var equivalence = new FirstWordEquivalence();
        await using var cache = SemanticCacheEngine.Open(Options(delta: 0.05, configure: b => b.AnswerEquivalence = equivalence));
        await cache.StoreAsync(Store("t", "the stored question", "Paris is the capital", Near(1, 1)));

        // "Paris, of course" differs as text but agrees by the pluggable rule: a right label.
        Assert.False((await cache.LookupAsync(Lookup("t", "first rewording", Near(0.96f, 2)))).IsHit);
        await cache.StoreAsync(Store("t", "first rewording", "Paris of course", Near(0.96f, 2)));
        Assert.Equal(1, (await cache.GetStatsAsync("t")).BudgetLabels);

        Assert.False((await cache.LookupAsync(Lookup("t", "second rewording", Near(0.96f, 3)))).IsHit);
        var stored = await cache.StoreAsync(Store("t", "second rewording", "boom", Near(0.96f, 3)));
        Assert.True(stored.EntryId > 0);
        Assert.Equal(1, (await cache.GetStatsAsync("t")).BudgetLabels);
        Assert.Equal(2, equivalence.Calls);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    public async Task An_error_budget_outside_zero_to_one_is_refused_with_its_name(double delta)
    {
        var error = Assert.ThrowsAny<Exception>(() => SemanticCacheEngine.Open(Options(delta)));
        Assert.Contains("MaxErrorRate", error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }
}
