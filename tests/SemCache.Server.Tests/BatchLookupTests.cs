using Grpc.Core;

namespace SemCache.Server.Tests;

public sealed class BatchLookupTests
{
    private static readonly CacheScope Scope = new() { Model = "gpt-test" };

    private static float[] Vector(Random random)
    {
        var v = new float[ServerHost.Dimensions];
        for (var d = 0; d < v.Length; d++) { v[d] = (float)(random.NextDouble() - 0.5); }
        return v;
    }

    [Fact]
    public async Task A_remote_batch_of_1000_prompts_returns_the_same_results_as_1000_single_lookups()
    {
        await using var host = await ServerHost.StartAsync(engine: true, settings: new Dictionary<string, string?> { ["SemCache:Server:MaxBatchSize"] = "1000" });
        using var client = host.ClientFor(ServerHost.AdminKey);
        var random = new Random(5);
        var stored = new List<(string Prompt, float[] Vector)>();
        for (var i = 0; i < 300; i++)
        {
            var entry = ($"question {i}", Vector(random));
            stored.Add(entry);
            await client.StoreAsync(new CacheStoreRequest { Tenant = "ignored", Scope = Scope, Prompt = entry.Item1, Response = $"answer {i % 40}", Vector = entry.Item2 });
        }

        // Exact repeats, near copies of stored vectors (semantic hits or ambiguity) and fresh vectors (misses).
        var lookups = new List<CacheLookupRequest>();
        for (var i = 0; i < 1000; i++)
        {
            var (prompt, vector) = stored[random.Next(stored.Count)];
            var near = vector.Select(x => x + (float)((random.NextDouble() - 0.5) * 0.05)).ToArray();
            lookups.Add((i % 3) switch
            {
                0 => new CacheLookupRequest { Tenant = "ignored", Scope = Scope, Prompt = prompt, Vector = vector },
                1 => new CacheLookupRequest { Tenant = "ignored", Scope = Scope, Vector = near },
                _ => new CacheLookupRequest { Tenant = "ignored", Scope = Scope, Vector = Vector(random) },
            });
        }

        var single = new List<CacheLookupResult>();
        foreach (var l in lookups) { single.Add(await client.LookupAsync(l)); }
        var batch = await client.LookupBatchAsync(lookups);

        Assert.Equal(single.Count, batch.Count);
        for (var i = 0; i < single.Count; i++)
        {
            Assert.Equal(single[i].Kind, batch[i].Kind);
            Assert.Equal(single[i].EntryId, batch[i].EntryId);
            Assert.Equal(single[i].Response, batch[i].Response);
            Assert.Equal(single[i].Similarity, batch[i].Similarity);
            Assert.Equal(single[i].Reasons, batch[i].Reasons);
        }

        Assert.Contains(batch, r => r.Kind == CacheHitKind.Exact);
        Assert.Contains(batch, r => r.Kind == CacheHitKind.Semantic);
        Assert.Contains(batch, r => r.Kind == CacheHitKind.Miss);
    }

    [Fact]
    public async Task With_SemCache_Gpu_Enabled_the_engine_scores_batches_on_the_configured_accelerator()
    {
        await using var host = await ServerHost.StartAsync(engine: true, settings: new Dictionary<string, string?>
        {
            ["SemCache:Gpu:Enabled"] = "true",
            ["SemCache:Gpu:Accelerator"] = "IlgpuCpu",
            ["SemCache:Gpu:MinRows"] = "0",
        });
        using var client = host.ClientFor(ServerHost.AdminKey);
        var random = new Random(9);
        var vectors = Enumerable.Range(0, 20).Select(_ => Vector(random)).ToList();
        for (var i = 0; i < vectors.Count; i++)
        {
            await client.StoreAsync(new CacheStoreRequest { Tenant = "ignored", Scope = Scope, Prompt = $"q{i}", Response = $"a{i}", Vector = vectors[i] });
        }

        var batch = await client.LookupBatchAsync(vectors.Select(v => new CacheLookupRequest { Tenant = "ignored", Scope = Scope, Vector = v }).ToList());

        Assert.All(batch, r => Assert.Equal(CacheHitKind.Semantic, r.Kind));
        Assert.Equal("ilgpu-cpu", (await host.Cache.GetStatsAsync(null)).BatchAccelerator);
    }

    [Fact]
    public async Task A_batch_whose_deadline_runs_out_answers_every_lookup_miss_with_reason_deadline()
    {
        var cache = new FakeSemanticCache(ServerHost.Dimensions) { LookupDelay = TimeSpan.FromMinutes(1) };
        // A margin of half the deadline, so that a loaded CI machine still answers before the deadline itself. A fresh
        // clone's first run (cold JIT, test classes starting hosts in parallel on 2 cores) once took over 2 s between the
        // server's own cut-off and the answer, so the slack is 5 s; a warm-up call first keeps cold start out of it.
        await using var host = await ServerHost.StartAsync(cache, new Dictionary<string, string?> { ["SemCache:Server:LookupDeadlineMargin"] = "00:00:05" });
        await host.Raw.StoreAsync(TestData.Store("warm-up", "ready"), ServerHost.Headers(ServerHost.AdminKey));
        var batch = new Grpc.V1.LookupBatchRequest();
        batch.Requests.Add(TestData.Lookup("slow one"));
        batch.Requests.Add(TestData.Lookup("slow two"));

        var response = await host.Raw.LookupBatchAsync(batch, ServerHost.Headers(ServerHost.AdminKey), deadline: DateTime.UtcNow.AddSeconds(10));

        Assert.Equal(2, response.Results.Count);
        Assert.All(response.Results, r => Assert.Equal(["deadline"], r.Reasons));
    }

    [Fact]
    public async Task The_client_refuses_a_null_batch_before_calling_the_server()
    {
        await using var host = await ServerHost.StartAsync();
        using var client = host.ClientFor(ServerHost.AdminKey);

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await client.LookupBatchAsync(null!));
        var e = await Assert.ThrowsAsync<RpcException>(async () => await host.Raw.LookupBatchAsync(
            new Grpc.V1.LookupBatchRequest { Requests = { new Grpc.V1.LookupRequest() } }, ServerHost.Headers(ServerHost.AdminKey)));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
    }
}
