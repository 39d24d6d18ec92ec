namespace SemCache.Cluster.Tests;

/// <summary>The cluster's promises, on three in-process silos with two replicas.</summary>
public sealed class ClusterTests
{
    // A hang detector for re-activation after a kill, not a speed assertion: detection takes a few seconds here.
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(90);

    private static readonly CacheScope Scope = new() { Model = "gpt-test", SystemPrompt = "You answer briefly." };

    private static CacheStoreRequest Store(string tenant, int i, CacheScope? scope = null) => new()
    {
        Tenant = tenant,
        Scope = scope ?? Scope,
        Prompt = $"question {i}",
        Response = $"{tenant} answer {i}",
        Vector = ThreeSiloCluster.Vector(i),
        Tags = ["doc:" + (i % 3)],
    };

    private static CacheLookupRequest Lookup(string tenant, int i, CacheScope? scope = null) => new()
    {
        Tenant = tenant,
        Scope = scope ?? Scope,
        Prompt = $"question {i}",
        Vector = ThreeSiloCluster.Vector(i),
    };

    private static CacheScope ScopeOf(int i) => Scope with { Extra = new Dictionary<string, string> { ["user"] = "u" + (i % 7) } };

    [Fact]
    public async Task An_entry_stored_through_one_silo_is_found_through_every_other_silo_under_the_same_id()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync();
        var stored = new List<CacheStoreResult>();
        for (var i = 0; i < 20; i++)
        {
            stored.Add(await cluster.Api(i % 3).StoreAsync(Store("acme", i, ScopeOf(i))));
        }

        for (var i = 0; i < 20; i++)
        {
            for (var through = 0; through < 3; through++)
            {
                var found = await cluster.Api(through).LookupAsync(Lookup("acme", i, ScopeOf(i)));
                Assert.Equal(CacheHitKind.Exact, found.Kind);
                Assert.Equal($"acme answer {i}", found.Response);
                Assert.Equal(stored[i].EntryId, found.EntryId);
                Assert.Equal(["doc:" + (i % 3)], found.Tags);
            }
        }

        // Every group that holds entries keeps them on two different silos.
        for (var i = 0; i < 20; i++)
        {
            var members = await cluster.MembersAsync(0, "acme", ScopeOf(i));
            Assert.Equal(2, members.Distinct().Count());
        }
    }

    [Fact]
    public async Task A_killed_silos_acknowledged_entries_are_still_served_after_its_groups_reactivate_elsewhere()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync();
        var stored = new Dictionary<int, CacheStoreResult>();
        for (var i = 0; i < 30; i++)
        {
            stored[i] = await cluster.Api(i % 3).StoreAsync(Store("acme", i, ScopeOf(i)));
        }

        // Kill the silo that serves reads of the first entry's group (its coordinator and read copy).
        var victim = cluster.IndexOf((await cluster.MembersAsync(0, "acme", ScopeOf(0)))[0]);
        Assert.True(victim >= 0);
        var survivor = (victim + 1) % 3;
        await cluster.KillAsync(victim);

        var deadline = DateTime.UtcNow + Recovery;
        for (var i = 0; i < 30; i++)
        {
            CacheLookupResult? found = null;
            while (found is not { IsHit: true })
            {
                Assert.True(DateTime.UtcNow < deadline, $"entry {i} was not served again after the kill (last answer: {found?.Kind}, {string.Join(",", found?.Reasons ?? [])})");
                try
                {
                    found = await cluster.Api(survivor).LookupAsync(Lookup("acme", i, ScopeOf(i)));
                }
                catch (Exception e) when (e is not ArgumentException)
                {
                    // Calls into the dead silo fail until it is declared dead; misses and errors are allowed meanwhile.
                }

                // Never a wrong entry, even while groups move.
                Assert.True(found is null || !found.IsHit || found.Response == $"acme answer {i}", $"wrong entry served for {i}: {found?.Response}");
                if (found is not { IsHit: true }) { await Task.Delay(200); }
            }

            Assert.Equal(stored[i].EntryId, found.EntryId);
        }

        // The surviving two silos accept and replicate new stores, and serve them.
        var late = await cluster.Api(survivor).StoreAsync(Store("acme", 1000, ScopeOf(0)));
        var other = cluster.Api(3 - victim - survivor);
        var again = await other.LookupAsync(Lookup("acme", 1000, ScopeOf(0)));
        Assert.Equal(late.EntryId, again.EntryId);
        Assert.Equal("acme answer 1000", again.Response);
    }

    [Fact]
    public async Task A_tenant_never_sees_another_tenants_entries_through_any_silo()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync();
        for (var i = 0; i < 10; i++)
        {
            await cluster.Api(0).StoreAsync(Store("acme", i));
        }

        for (var through = 0; through < 3; through++)
        {
            for (var i = 0; i < 10; i++)
            {
                // Same scope, prompt and vector: only the tenant differs.
                var other = await cluster.Api(through).LookupAsync(Lookup("globex", i));
                Assert.Equal(CacheHitKind.Miss, other.Kind);
                Assert.Null(other.Response);
            }
        }

        var globexStats = await cluster.Api(1).GetStatsAsync("globex");
        Assert.Equal(0, globexStats.Entries);
        Assert.Equal(10, (await cluster.Api(2).GetStatsAsync("acme")).Entries);

        // The other tenant's removals, of everything and by the same tag, leave this tenant's entries alone.
        Assert.Equal(0, await cluster.Api(2).InvalidateAsync(CacheInvalidation.ForTag("globex", "doc:1")));
        Assert.Equal(0, await cluster.Api(1).InvalidateAsync(CacheInvalidation.ForTenant("globex")));
        var id = (await cluster.Api(0).LookupAsync(Lookup("acme", 4))).EntryId;
        Assert.Equal(0, await cluster.Api(1).InvalidateAsync(CacheInvalidation.ForEntry("globex", id)));
        Assert.False(await cluster.Api(2).ReportHitAsync(new CacheHitFeedback("globex", id, Correct: false)));
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal($"acme answer {i}", (await cluster.Api(i % 3).LookupAsync(Lookup("acme", i))).Response);
        }
    }

    [Fact]
    public async Task Removals_reach_every_replica_so_no_copy_serves_a_removed_entry()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync();
        var ids = new List<long>();
        for (var i = 0; i < 12; i++)
        {
            ids.Add((await cluster.Api(i % 3).StoreAsync(Store("acme", i, ScopeOf(i)))).EntryId);
        }

        Assert.Equal(4, await cluster.Api(1).InvalidateAsync(CacheInvalidation.ForTag("acme", "doc:1")));
        Assert.Equal(1, await cluster.Api(2).InvalidateAsync(CacheInvalidation.ForEntry("acme", ids[0])));
        Assert.True(await cluster.Api(0).ReportHitAsync(new CacheHitFeedback("acme", ids[3], Correct: false)));

        // Kill the read copy of a removed entry's group: the other replica must not bring it back.
        var victim = cluster.IndexOf((await cluster.MembersAsync(0, "acme", ScopeOf(1)))[0]);
        await cluster.KillAsync(victim);
        var survivor = (victim + 1) % 3;
        var deadline = DateTime.UtcNow + Recovery;
        for (var i = 0; i < 12; i++)
        {
            var removed = i % 3 == 1 || i == 0 || i == 3;
            while (true)
            {
                Assert.True(DateTime.UtcNow < deadline, $"entry {i} got no answer after the kill");
                CacheLookupResult found;
                try
                {
                    found = await cluster.Api(survivor).LookupAsync(Lookup("acme", i, ScopeOf(i)));
                }
                catch (Exception e) when (e is not ArgumentException)
                {
                    await Task.Delay(200);
                    continue;
                }

                Assert.False(removed && found.IsHit, $"removed entry {i} was served again");
                if (removed || found.IsHit) { break; }
                await Task.Delay(200);
            }
        }
    }

    [Fact]
    public async Task An_invalid_request_is_refused_with_an_argument_error_naming_the_field()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync();
        var wrongDimension = Lookup("acme", 1) with { Vector = new float[3] };
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cluster.Api(0).LookupAsync(wrongDimension));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cluster.Api(1).StoreAsync(Store("acme", 1) with { Vector = new float[3] }));
        var tooLong = new string('t', 122);
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(async () => await cluster.Api(2).LookupAsync(Lookup(tooLong, 1)));
        Assert.Contains("121", e.Message, StringComparison.Ordinal);
        var batch = await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
            await cluster.Api(0).LookupBatchAsync([Lookup("acme", 1), Lookup("acme", 2, ScopeOf(5)), Lookup("acme", 3) with { Vector = new float[3] }]));
        Assert.Contains("requests[2]", batch.ParamName ?? batch.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_lookup_spanning_several_groups_answers_in_request_order()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync();
        for (var i = 0; i < 8; i++)
        {
            await cluster.Api(0).StoreAsync(Store("acme", i, ScopeOf(i)));
        }

        var requests = Enumerable.Range(0, 10).Select(i => Lookup("acme", i, ScopeOf(i))).ToArray();
        var results = await cluster.Api(1).LookupBatchAsync(requests);
        for (var i = 0; i < 8; i++) { Assert.Equal($"acme answer {i}", results[i].Response); }
        Assert.False(results[8].IsHit);
        Assert.False(results[9].IsHit);
    }

    [Fact]
    public async Task A_store_is_acknowledged_only_once_the_configured_number_of_silos_hold_it()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync(replicas: 3);
        var stored = await cluster.Api(0).StoreAsync(Store("acme", 1));
        Assert.Equal(3, (await cluster.MembersAsync(1, "acme", Scope)).Distinct().Count());

        // With one silo of three gone, a store cannot reach three replicas: it fails, nothing is acknowledged.
        var victim = 2;
        await cluster.KillAsync(victim);
        var deadline = DateTime.UtcNow + Recovery;
        while (true)
        {
            Assert.True(DateTime.UtcNow < deadline, "stores kept succeeding with two silos and three replicas required");
            try
            {
                await cluster.Api(0).StoreAsync(Store("acme", 2));
            }
            catch (ClusterUnavailableException e)
            {
                Assert.Contains("of 3 replicas", e.Message, StringComparison.Ordinal);
                break;
            }
            catch (Exception e) when (e is not ArgumentException)
            {
                // The dead silo's calls time out before it is declared dead.
            }

            await Task.Delay(200);
        }

        // What was acknowledged is still served by the survivors (misses allowed while the group re-activates).
        var found = await cluster.Api(1).LookupAsync(Lookup("acme", 1));
        while (!found.IsHit)
        {
            Assert.True(DateTime.UtcNow < deadline, "the acknowledged entry was not served again");
            await Task.Delay(200);
            found = await cluster.Api(1).LookupAsync(Lookup("acme", 1));
        }

        Assert.Equal(stored.EntryId, found.EntryId);
    }

    [Fact]
    public async Task Get_or_create_fills_a_miss_once_and_the_answer_is_then_served_by_every_silo()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync();
        var calls = 0;
        ValueTask<CacheFill> Factory(CancellationToken _)
        {
            Interlocked.Increment(ref calls);
            return ValueTask.FromResult(new CacheFill { Response = "filled", Tags = ["t:1"] });
        }

        var first = await cluster.Api(0).GetOrCreateAsync(Lookup("acme", 42), Factory);
        Assert.True(first.Created);
        Assert.True(first.Lookup.EntryId > 0);
        for (var through = 0; through < 3; through++)
        {
            var again = await cluster.Api(through).GetOrCreateAsync(Lookup("acme", 42), Factory);
            Assert.False(again.Created);
            Assert.Equal("filled", again.Lookup.Response);
            Assert.Equal(first.Lookup.EntryId, again.Lookup.EntryId);
            Assert.Equal(["t:1"], again.Lookup.Tags);
        }

        Assert.Equal(1, calls);

        // Positive feedback reaches the copy that served the hit; negative feedback removes the entry everywhere.
        Assert.True(await cluster.Api(1).ReportHitAsync(new CacheHitFeedback("acme", first.Lookup.EntryId, Correct: true)));
        Assert.True(await cluster.Api(2).ReportHitAsync(new CacheHitFeedback("acme", first.Lookup.EntryId, Correct: false)));
        for (var through = 0; through < 3; through++)
        {
            Assert.False((await cluster.Api(through).LookupAsync(Lookup("acme", 42))).IsHit);
        }
    }

    [Fact]
    public async Task A_copy_that_fails_writes_is_replaced_so_its_group_keeps_acknowledging_on_two_healthy_silos()
    {
        await using var cluster = await ThreeSiloCluster.StartAsync();
        var first = await cluster.Api(0).StoreAsync(Store("acme", 1));
        var members = await cluster.MembersAsync(0, "acme", Scope);
        var faulty = cluster.IndexOf(members[1]);
        cluster.Engine(faulty).FailStores = true;

        // The next store fails on the faulty copy, which is replaced; the store is acknowledged on two others.
        var second = await cluster.Api(1).StoreAsync(Store("acme", 2));
        var now = await cluster.MembersAsync(0, "acme", Scope);
        Assert.Equal(2, now.Distinct().Count());
        Assert.DoesNotContain(members[1], now);
        Assert.Contains(members[0], now);
        for (var through = 0; through < 3; through++)
        {
            Assert.Equal(first.EntryId, (await cluster.Api(through).LookupAsync(Lookup("acme", 1))).EntryId);
            Assert.Equal(second.EntryId, (await cluster.Api(through).LookupAsync(Lookup("acme", 2))).EntryId);
        }
    }
}
