using SemCache.Budget;
using SemCache.Engine;
using SemCache.Storage;
using SemCache.Tests.Engine;
using SemCache.Tests.Storage;

namespace SemCache.Tests.Budget;

/// <summary>
/// What the error budget keeps per entry (labels in the record, its state in memory) is charged to
/// the byte limits, and a failed removal puts an entry back without learning its labels twice.
/// </summary>
public sealed class BudgetAccountingTests
{
    private const int Dims = 96;
    private static readonly CacheScope Scope = new() { Model = "budget-model" };

    private static SemanticCacheOptions Options(double? delta, Action<SemanticCacheOptions>? configure = null)
    {
        var o = new SemanticCacheOptions { Durability = CacheDurability.InMemory, Dimensions = Dims, RequestsBringVectors = true };
        o.ErrorBudget.MaxErrorRate = delta;
        o.ErrorBudget.ExplorationRate = 1;
        configure?.Invoke(o);
        return o;
    }

    private static float[] Unit(float[] v)
    {
        var norm = MathF.Sqrt(v.Sum(static x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    private static float[] Random(Random rng) => Unit([.. Enumerable.Range(0, Dims).Select(_ => (float)(rng.NextDouble() - 0.5))]);

    /// <summary>A unit vector at cosine <paramref name="similarity"/> to axis 0, the rest on axis <paramref name="axis"/>.</summary>
    private static float[] Near(float similarity, int axis)
    {
        var v = new float[Dims];
        v[0] = similarity;
        v[axis] = MathF.Sqrt(1 - (similarity * similarity));
        return v;
    }

    private static CacheStoreRequest Store(string prompt, string response, float[] vector) =>
        new() { Tenant = "t", Scope = Scope, Prompt = prompt, Response = response, Vector = vector };

    private static CacheLookupRequest Lookup(string prompt, float[] vector) =>
        new() { Tenant = "t", Scope = Scope, Prompt = prompt, Vector = vector };

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Labels_and_budget_state_are_charged_and_the_byte_limit_holds_while_entries_learn(bool perTenant)
    {
        const long Limit = 48 * 1024;
        var store = TestCache.SmallStore();
        await using var cache = new SemanticCache(
            Options(0.05, o =>
            {
                if (perTenant) { o.MaxBytesPerTenant = Limit; } else { o.MaxBytes = Limit; }
            }),
            store,
            embedder: null);

        // Twenty intents; each prompt is a noisy rewording of one (cosine ~0.85-0.9), and every miss
        // stores the fresh answer, which labels the candidate the miss had: entries fill with labels.
        var rng = new Random(42);
        var intents = Enumerable.Range(0, 20).Select(_ => Random(rng)).ToArray();
        for (var i = 0; i < 600; i++)
        {
            var intent = rng.Next(intents.Length);
            var noise = Random(rng);
            var vector = Unit([.. intents[intent].Zip(noise, static (a, b) => a + (0.5f * b))]);
            var prompt = $"prompt {i}";
            if (!(await cache.LookupAsync(Lookup(prompt, vector))).IsHit)
            {
                await cache.StoreAsync(Store(prompt, $"answer {intent}", vector));
            }

            var stats = await cache.GetStatsAsync(perTenant ? "t" : null);
            Assert.InRange(stats.Bytes, 0, Limit);
        }

        var final = await cache.GetStatsAsync("t");
        Assert.True(final.Evictions > 0, "the limit was never reached");
        Assert.True(final.BudgetLabels > 100, $"{final.BudgetLabels} labels");

        // Every live entry's charge covers what its budget holds: the labels in its record (as
        // encoded) and a full label array in memory, over what the same record costs without a budget.
        var labelled = 0;
        foreach (var id in Enumerable.Range(1, 2000).Select(static i => (long)i))
        {
            if (!store.TryGet(id, out var record) || record is null || cache.ChargedBytesOf(id) == 0) { continue; }
            var withoutBudget = record.SizeInBytes + Eviction.EntryCost.MetadataBytes + (record.Tags.Count * Eviction.EntryCost.TagBytes);
            var labelBytes = EntryRecordCodec.GetEncodedLength(record) - EntryRecordCodec.GetEncodedLength(record.WithLabels([]));
            var memory = 16L * new SemanticCacheOptions().ErrorBudget.MaxLabelsPerEntry;
            Assert.True(cache.ChargedBytesOf(id) - withoutBudget >= labelBytes + memory, $"entry {id}: charged {cache.ChargedBytesOf(id)}, record {withoutBudget}, labels {labelBytes}");
            labelled += record.Labels.Count > 0 ? 1 : 0;
        }

        Assert.True(labelled > 0, "no live entry held labels");
    }

    [Fact]
    public async Task The_same_entries_cost_more_with_a_budget_by_a_full_set_of_scored_labels_and_their_state()
    {
        var charged = new List<long>();
        foreach (var delta in new double?[] { null, 0.05 })
        {
            await using var cache = new SemanticCache(Options(delta), TestCache.SmallStore(), embedder: null);
            await cache.StoreAsync(Store("the stored question", "Paris", Near(1, 1)));
            charged.Add((await cache.GetStatsAsync("t")).Bytes);
        }

        var max = new SemanticCacheOptions().ErrorBudget.MaxLabelsPerEntry;
        var fullRecordLabels = sizeof(int) + (max * EntryRecordCodec.MaxLabelBytes);
        Assert.Equal(EntryBudget.ChargedBytes(max), charged[1] - charged[0]);
        Assert.True(charged[1] - charged[0] >= fullRecordLabels + (16L * max), $"{charged[1] - charged[0]} bytes");
    }

    [Fact]
    public async Task An_entry_put_back_after_a_failed_delete_keeps_its_labels_without_learning_them_twice()
    {
        var store = new FailingDeleteStore(TestCache.SmallStore());
        await using var cache = new SemanticCache(Options(0.10), store, embedder: null);
        var entry = (await cache.StoreAsync(Store("the stored question", "Paris", Near(1, 1)))).EntryId;

        // Agreeing fresh answers until the entry is served under the budget.
        CacheLookupResult? served = null;
        for (var i = 0; i < 80 && served is null; i++)
        {
            var result = await cache.LookupAsync(Lookup($"rewording {i}", Near(0.96f, 2 + i)));
            if (result.IsHit) { served = result; } else { await cache.StoreAsync(Store($"rewording {i}", "Paris", Near(0.96f, 2 + i))); }
        }

        Assert.NotNull(served);
        var probe = Lookup("one more rewording", Near(0.96f, Dims - 1));
        var before = await cache.LookupAsync(probe);
        var labels = cache.LabelCountOf(entry);
        var learned = cache.ModelLabelsOf("t");
        Assert.True(before.IsHit);
        Assert.True(labels > 0);

        store.FailDeletes = true;
        await Assert.ThrowsAnyAsync<IOException>(async () => await cache.InvalidateAsync(CacheInvalidation.ForEntry("t", entry)));
        store.FailDeletes = false;

        // Back, with the same labels, the tenant's model unchanged, and the same decision to the digit.
        Assert.Equal(labels, cache.LabelCountOf(entry));
        Assert.Equal(learned, cache.ModelLabelsOf("t"));
        var after = await cache.LookupAsync(probe);
        Assert.Equal(before.EntryId, after.EntryId);
        Assert.Equal(before.Reasons, after.Reasons);
    }

    /// <summary>Passes everything to the real store; batch deletes fail while <see cref="FailDeletes"/> is set.</summary>
    private sealed class FailingDeleteStore(IEntryStore inner) : ForwardingEntryStore(inner)
    {
        public volatile bool FailDeletes;

        public override ValueTask<int> DeleteManyAsync(IReadOnlyCollection<long> entryIds, CancellationToken cancellationToken) =>
            FailDeletes ? throw new IOException("injected delete failure") : base.DeleteManyAsync(entryIds, cancellationToken);
    }
}
