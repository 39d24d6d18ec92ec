using Microsoft.Extensions.Time.Testing;
using SemCache.Engine;

namespace SemCache.Cluster.Tests;

/// <summary>The engine's export/import surface that fills a new copy of a partition group from a surviving one.</summary>
public sealed class EntryTransferTests
{
    private const string Tenant = "acme@@g1";
    private static readonly CacheScope Scope = new() { Model = "gpt-test" };

    private static IEmbeddedSemanticCache Open(TimeProvider? time = null) => SemanticCacheEngine.Open(
        new SemanticCacheOptions { Durability = CacheDurability.InMemory, Dimensions = ThreeSiloCluster.Dimensions, RequestsBringVectors = true },
        timeProvider: time);

    private static CacheStoreRequest Store(int i, TimeSpan? ttl = null, string tenant = Tenant) => new()
    {
        Tenant = tenant,
        Scope = Scope,
        Prompt = $"question {i}",
        Response = $"answer {i}",
        Vector = ThreeSiloCluster.Vector(i),
        Tags = ["doc:" + i, "cluster-id"],
        TimeToLive = ttl,
    };

    private static CacheLookupRequest Lookup(int i, bool byVectorOnly = false) => new()
    {
        Tenant = Tenant,
        Scope = Scope,
        Prompt = byVectorOnly ? null : $"question {i}",
        Vector = ThreeSiloCluster.Vector(i),
    };

    private static async Task<List<byte[]>> ExportAllAsync(IEmbeddedSemanticCache engine, int pageSize, List<int>? pageSizes = null)
    {
        var transfer = (IEntryTransfer)engine;
        var all = new List<byte[]>();
        long after = 0;
        while (true)
        {
            var page = await transfer.ExportAsync(Tenant, after, pageSize);
            pageSizes?.Add(page.Entries.Count);
            all.AddRange(page.Entries);
            if (page.Done) { return all; }
            after = page.NextAfterId;
        }
    }

    [Fact]
    public async Task Every_live_entry_is_exported_once_in_pages_no_larger_than_the_page_size_and_removed_or_expired_ones_are_not()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var source = Open(time);
        for (var i = 0; i < 50; i++) { await source.StoreAsync(Store(i, ttl: i < 5 ? TimeSpan.FromMinutes(1) : null)); }
        await source.StoreAsync(Store(999, tenant: "globex@@g1"));
        Assert.Equal(1, await source.InvalidateAsync(CacheInvalidation.ForTag(Tenant, "doc:7")));
        time.Advance(TimeSpan.FromMinutes(2));

        var sizes = new List<int>();
        var exported = await ExportAllAsync(source, pageSize: 8, sizes);

        // 50 stored, 5 expired, 1 removed; the other tenant's entry is not part of this tenant's export.
        Assert.Equal(44, exported.Count);
        Assert.All(sizes, s => Assert.InRange(s, 0, 8));
        await using var target = Open(time);
        Assert.Equal(44, await ((IEntryTransfer)target).ImportAsync(Tenant, exported));
        for (var i = 0; i < 50; i++)
        {
            var found = await target.LookupAsync(Lookup(i));
            Assert.Equal(i is >= 5 and not 7, found.IsHit);
        }

        Assert.Equal(44, (await target.GetStatsAsync(Tenant)).Entries);
        Assert.Equal(0, (await target.GetStatsAsync("globex@@g1")).Entries);
    }

    [Fact]
    public async Task An_imported_entry_keeps_its_answer_tags_vector_and_expiry_time()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var source = Open(time);
        await source.StoreAsync(Store(1, ttl: TimeSpan.FromMinutes(10)));
        time.Advance(TimeSpan.FromMinutes(6));
        await using var target = Open(time);
        Assert.Equal(1, await ((IEntryTransfer)target).ImportAsync(Tenant, await ExportAllAsync(source, pageSize: 100)));

        var exact = await target.LookupAsync(Lookup(1));
        Assert.Equal(CacheHitKind.Exact, exact.Kind);
        Assert.Equal("answer 1", exact.Response);
        Assert.Equal(["doc:1", "cluster-id"], exact.Tags);
        var semantic = await target.LookupAsync(Lookup(1, byVectorOnly: true));
        Assert.Equal(CacheHitKind.Semantic, semantic.Kind);
        Assert.Equal("answer 1", semantic.Response);

        // Stored with 10 minutes to live 6 minutes before the import: it expires 10 minutes after the store, not after the import.
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.False((await target.LookupAsync(Lookup(1))).IsHit);
    }

    [Fact]
    public async Task An_import_never_replaces_an_entry_the_target_already_holds_for_the_same_prompt()
    {
        await using var source = Open();
        await source.StoreAsync(Store(3));
        var exported = await ExportAllAsync(source, pageSize: 10);
        await using var target = Open();
        await target.StoreAsync(Store(3) with { Response = "newer answer" });

        Assert.Equal(0, await ((IEntryTransfer)target).ImportAsync(Tenant, exported));
        Assert.Equal("newer answer", (await target.LookupAsync(Lookup(3))).Response);
        Assert.Equal(1, (await target.GetStatsAsync(Tenant)).Entries);
    }

    [Fact]
    public async Task A_corrupt_entry_or_another_tenants_entry_is_refused_and_nothing_of_its_page_is_imported()
    {
        await using var source = Open();
        await source.StoreAsync(Store(1));
        await source.StoreAsync(Store(2));
        var exported = await ExportAllAsync(source, pageSize: 10);
        var corrupt = exported[1].ToArray();
        corrupt[^12] ^= 0x5A;
        await using var target = Open();
        var transfer = (IEntryTransfer)target;

        var bad = await Assert.ThrowsAsync<ArgumentException>(async () => await transfer.ImportAsync(Tenant, [exported[0], corrupt]));
        Assert.Contains("Entry 1", bad.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ArgumentException>(async () => await transfer.ImportAsync("globex@@g1", exported));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await ((IEntryTransfer)source).ExportAsync(Tenant, 0, 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await ((IEntryTransfer)source).ExportAsync(Tenant, 0, SemanticCache.MaxExportPageSize + 1));
        Assert.False((await target.LookupAsync(Lookup(1))).IsHit);
    }
}
