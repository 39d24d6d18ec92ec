using Grpc.Core;
using SemCache.Client;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>Every semcache.v1 RPC, in process over TestServer.</summary>
public sealed class RpcTests
{
    [Fact]
    public async Task Store_then_Lookup_returns_an_exact_hit_with_the_stored_answer()
    {
        await using var host = await ServerHost.StartAsync();
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        var stored = await host.Raw.StoreAsync(TestData.Store("What is 2+2?", "4", tags: "math"), headers);

        var result = await host.Raw.LookupAsync(TestData.Lookup("What is 2+2?"), headers);

        Assert.True(stored.EntryId > 0);
        Assert.Equal(V1.HitKind.Exact, result.Kind);
        Assert.Equal("4", result.Response);
        Assert.Equal(stored.EntryId, result.EntryId);
        Assert.Equal(1f, result.Similarity);
        Assert.Equal(["math"], result.Tags);
        Assert.Equal(150, result.Usage.InputTokens + result.Usage.OutputTokens);
        Assert.NotNull(result.Age);
    }

    [Fact]
    public async Task Lookup_with_a_close_vector_returns_a_semantic_hit()
    {
        await using var host = await ServerHost.StartAsync();
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        var vector = TestData.Vector(1);
        await host.Raw.StoreAsync(TestData.Store("capital of France?", "Paris", vector), headers);

        var result = await host.Raw.LookupAsync(TestData.Lookup(prompt: null, vector), headers);

        Assert.Equal(V1.HitKind.Semantic, result.Kind);
        Assert.Equal("Paris", result.Response);
        Assert.True(result.Similarity > 0.99f);
    }

    [Fact]
    public async Task Lookup_of_an_unknown_prompt_is_a_miss_without_response()
    {
        await using var host = await ServerHost.StartAsync();

        var result = await host.Raw.LookupAsync(TestData.Lookup("never stored"), ServerHost.Headers(ServerHost.AdminKey));

        Assert.Equal(V1.HitKind.Miss, result.Kind);
        Assert.False(result.HasResponse);
        Assert.Equal(0, result.EntryId);
    }

    [Fact]
    public async Task Store_of_the_same_prompt_replaces_the_entry()
    {
        await using var host = await ServerHost.StartAsync();
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        await host.Raw.StoreAsync(TestData.Store("q", "old"), headers);

        var second = await host.Raw.StoreAsync(TestData.Store("q", "new"), headers);
        var result = await host.Raw.LookupAsync(TestData.Lookup("q"), headers);

        Assert.True(second.Replaced);
        Assert.Equal("new", result.Response);
    }

    [Fact]
    public async Task LookupBatch_answers_each_lookup_in_request_order()
    {
        await using var host = await ServerHost.StartAsync();
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        await host.Raw.StoreAsync(TestData.Store("a", "A"), headers);
        await host.Raw.StoreAsync(TestData.Store("c", "C"), headers);
        var batch = new V1.LookupBatchRequest();
        batch.Requests.Add(TestData.Lookup("a"));
        batch.Requests.Add(TestData.Lookup("b"));
        batch.Requests.Add(TestData.Lookup("c"));

        var response = await host.Raw.LookupBatchAsync(batch, headers);

        Assert.Equal(["A", null, "C"], response.Results.Select(r => r.HasResponse ? r.Response : null));
        Assert.Equal([V1.HitKind.Exact, V1.HitKind.Miss, V1.HitKind.Exact], response.Results.Select(r => r.Kind));
    }

    [Fact]
    public async Task Invalidate_by_tag_removes_only_tagged_entries()
    {
        await using var host = await ServerHost.StartAsync();
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        await host.Raw.StoreAsync(TestData.Store("a", "A", tags: "doc:1"), headers);
        await host.Raw.StoreAsync(TestData.Store("b", "B", tags: "doc:2"), headers);

        var removed = await host.Raw.InvalidateAsync(new V1.InvalidateRequest { Tag = "doc:1" }, headers);

        Assert.Equal(1, removed.Removed);
        Assert.Equal(V1.HitKind.Miss, (await host.Raw.LookupAsync(TestData.Lookup("a"), headers)).Kind);
        Assert.Equal(V1.HitKind.Exact, (await host.Raw.LookupAsync(TestData.Lookup("b"), headers)).Kind);
    }

    [Fact]
    public async Task Invalidate_by_scope_and_all_entries_remove_what_they_name()
    {
        await using var host = await ServerHost.StartAsync();
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        var other = TestData.Store("b", "B");
        other.Scope = TestData.Scope("other-model");
        await host.Raw.StoreAsync(TestData.Store("a", "A"), headers);
        await host.Raw.StoreAsync(other, headers);

        var byScope = await host.Raw.InvalidateAsync(new V1.InvalidateRequest { Scope = TestData.Scope("other-model") }, headers);
        var all = await host.Raw.InvalidateAsync(new V1.InvalidateRequest { AllEntries = true }, headers);

        Assert.Equal(1, byScope.Removed);
        Assert.Equal(1, all.Removed);
    }

    [Fact]
    public async Task Invalidate_without_a_target_is_invalid_argument()
    {
        await using var host = await ServerHost.StartAsync();

        var e = await Assert.ThrowsAsync<RpcException>(async () =>
            await host.Raw.InvalidateAsync(new V1.InvalidateRequest(), ServerHost.Headers(ServerHost.AdminKey)));

        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }

    [Fact]
    public async Task Delete_removes_one_entry_by_id()
    {
        await using var host = await ServerHost.StartAsync();
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        var stored = await host.Raw.StoreAsync(TestData.Store("a", "A"), headers);

        var first = await host.Raw.DeleteAsync(new V1.DeleteRequest { EntryId = stored.EntryId }, headers);
        var second = await host.Raw.DeleteAsync(new V1.DeleteRequest { EntryId = stored.EntryId }, headers);

        Assert.True(first.Deleted);
        Assert.False(second.Deleted);
    }

    [Fact]
    public async Task Stats_counts_the_callers_entries_and_hits()
    {
        await using var host = await ServerHost.StartAsync();
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        await host.Raw.StoreAsync(TestData.Store("a", "A"), headers);
        await host.Raw.LookupAsync(TestData.Lookup("a"), headers);
        await host.Raw.LookupAsync(TestData.Lookup("b"), headers);

        var stats = await host.Raw.StatsAsync(new V1.StatsRequest(), headers);

        Assert.Equal("default", stats.Tenant);
        Assert.Equal(1, stats.Entries);
        Assert.Equal(2, stats.Lookups);
        Assert.Equal(1, stats.ExactHits);
        Assert.Equal(0.5, stats.HitRate, 3);
    }

    [Fact]
    public async Task Stats_carries_the_error_budgets_explorations_and_labels_to_the_raw_and_the_dotnet_client()
    {
        // The real engine with a budget (δ 0.1, every uncertain candidate explored) and no verifier:
        // a near rewording of a stored prompt is answered "explore" by the young model, and the answer
        // then stored for it labels the candidate.
        await using var host = await ServerHost.StartAsync(engine: true, settings: new Dictionary<string, string?>
        {
            ["SemCache:ErrorBudget:MaxErrorRate"] = "0.1",
            ["SemCache:ErrorBudget:ExplorationRate"] = "1",
            ["SemCache:Verifier:Enabled"] = "false",
        });
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        var stored = TestData.Vector(1);
        var noise = TestData.Vector(2);
        var near = stored.Zip(noise, static (a, b) => a + (0.1f * b)).ToArray();
        var norm = MathF.Sqrt(near.Sum(static x => x * x));
        near = [.. near.Select(x => x / norm)];
        await host.Raw.StoreAsync(TestData.Store("capital of France?", "Paris", stored), headers);

        var explored = await host.Raw.LookupAsync(TestData.Lookup("France, its capital?", near), headers);
        await host.Raw.StoreAsync(TestData.Store("France, its capital?", "Paris", near), headers);

        Assert.Equal(V1.HitKind.Miss, explored.Kind);
        Assert.Contains("explore", explored.Reasons);
        var raw = await host.Raw.StatsAsync(new V1.StatsRequest(), headers);
        Assert.Equal(1, raw.Explorations);
        Assert.Equal(1, raw.BudgetLabels);
        using var client = new SemanticCacheClient(host.Channel, ServerHost.AdminKey);
        var stats = await client.GetStatsAsync("default");
        Assert.Equal(1, stats.Explorations);
        Assert.Equal(1, stats.BudgetLabels);
    }

    [Fact]
    public async Task ReportHit_of_a_wrong_hit_is_known_and_removes_the_entry()
    {
        await using var host = await ServerHost.StartAsync();
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        var stored = await host.Raw.StoreAsync(TestData.Store("a", "A"), headers);

        var report = await host.Raw.ReportHitAsync(new V1.ReportHitRequest { EntryId = stored.EntryId, Correct = false }, headers);
        var unknown = await host.Raw.ReportHitAsync(new V1.ReportHitRequest { EntryId = 999_999, Correct = true }, headers);

        Assert.True(report.Known);
        Assert.False(unknown.Known);
        Assert.Equal(V1.HitKind.Miss, (await host.Raw.LookupAsync(TestData.Lookup("a"), headers)).Kind);
    }

    [Fact]
    public async Task Lookup_whose_deadline_runs_out_answers_miss_with_reason_deadline()
    {
        var cache = new FakeSemanticCache(ServerHost.Dimensions) { LookupDelay = TimeSpan.FromMinutes(1) };
        // The server gives up 1.5 s after the call starts and keeps a 3.5 s margin before the deadline itself:
        // with 0.5 s of each, a loaded CI machine (load average 16) once answered after the client's deadline.
        await using var host = await ServerHost.StartAsync(cache, new Dictionary<string, string?> { ["SemCache:Server:LookupDeadlineMargin"] = "00:00:03.500" });

        var result = await host.Raw.LookupAsync(
            TestData.Lookup("slow"),
            ServerHost.Headers(ServerHost.AdminKey),
            deadline: DateTime.UtcNow.AddSeconds(5));

        Assert.Equal(V1.HitKind.Miss, result.Kind);
        Assert.Equal(["deadline"], result.Reasons);
    }

    [Fact]
    public async Task The_client_answers_miss_when_its_lookup_timeout_runs_out()
    {
        var cache = new FakeSemanticCache(ServerHost.Dimensions) { LookupDelay = TimeSpan.FromMinutes(1) };
        await using var host = await ServerHost.StartAsync(cache, new Dictionary<string, string?> { ["SemCache:Server:LookupDeadlineMargin"] = "00:00:00.200" });
        using var client = host.ClientFor(ServerHost.AdminKey, lookupTimeout: TimeSpan.FromMilliseconds(800));

        var result = await client.LookupAsync(new CacheLookupRequest { Tenant = "ignored", Scope = new CacheScope { Model = "m" }, Prompt = "slow" });

        Assert.Equal(CacheHitKind.Miss, result.Kind);
        Assert.Equal(["deadline"], result.Reasons);
    }

    [Fact]
    public async Task Gzip_compressed_requests_and_responses_are_understood()
    {
        await using var host = await ServerHost.StartAsync(settings: new Dictionary<string, string?> { ["SemCache:Server:CompressResponses"] = "true" });
        var headers = new Metadata { { "authorization", "Bearer " + ServerHost.AdminKey }, { "grpc-internal-encoding-request", "gzip" } };
        var longAnswer = string.Concat(Enumerable.Repeat("compressible ", 2000));
        await host.Raw.StoreAsync(TestData.Store("long", longAnswer), headers);

        var result = await host.Raw.LookupAsync(TestData.Lookup("long"), headers);

        Assert.Equal(longAnswer, result.Response);
    }

    [Fact]
    public async Task Admin_creates_lists_and_revokes_keys()
    {
        await using var host = await ServerHost.StartAsync();
        var admin = ServerHost.Headers(ServerHost.AdminKey);

        var created = await host.Admin.CreateKeyAsync(new V1.CreateKeyRequest { Tenant = "acme", Role = V1.Role.Read, Description = "ci" }, admin);
        var listed = await host.Admin.ListKeysAsync(new V1.ListKeysRequest(), admin);
        var stats = await host.Raw.StatsAsync(new V1.StatsRequest(), ServerHost.Headers(created.Secret));
        var revoked = await host.Admin.RevokeKeyAsync(new V1.RevokeKeyRequest { KeyId = created.Key.KeyId }, admin);
        var after = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.StatsAsync(new V1.StatsRequest(), ServerHost.Headers(created.Secret)));

        Assert.Contains(listed.Keys, k => k.KeyId == created.Key.KeyId && k.Tenant == "acme" && k.Role == V1.Role.Read);
        Assert.Equal("acme", stats.Tenant);
        Assert.True(revoked.Revoked);
        Assert.Equal(StatusCode.Unauthenticated, after.StatusCode);
    }

    [Fact]
    public async Task Keys_are_stored_hashed_and_survive_a_restart()
    {
        string data;
        string secret;
        await using (var first = await ServerHost.StartAsync())
        {
            secret = await first.CreateKeyAsync("acme", V1.Role.Write);
            data = first.DataDirectory;
            var file = await File.ReadAllTextAsync(Path.Combine(data, "keys.json"));
            Assert.DoesNotContain(secret, file, StringComparison.Ordinal);
            Assert.DoesNotContain(ServerHost.AdminKey, file, StringComparison.Ordinal);

            // Keep the keys file for the second server.
            File.Copy(Path.Combine(data, "keys.json"), Path.Combine(Path.GetTempPath(), Path.GetFileName(data) + ".keys.json"));
        }

        var kept = Path.Combine(Path.GetTempPath(), Path.GetFileName(data) + ".keys.json");
        await using var second = await ServerHost.StartAsync(settings: new Dictionary<string, string?> { ["SemCache:Server:KeysFile"] = kept });
        var stats = await second.Raw.StatsAsync(new V1.StatsRequest(), ServerHost.Headers(secret));
        File.Delete(kept);

        Assert.Equal("acme", stats.Tenant);
    }
}
