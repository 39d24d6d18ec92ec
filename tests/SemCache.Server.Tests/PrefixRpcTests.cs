using Google.Protobuf;
using Grpc.Core;
using SemCache.Client;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>
/// semcache.v1.PrefixCache through the server: keys and roles, tenant isolation (the seed is the server's, the
/// tenant the key's), hostile requests and streams, and the .NET client end to end.
/// </summary>
public sealed class PrefixRpcTests
{
    private static readonly Marshaller<byte[]> RawBytes = Marshallers.Create(b => b, b => b);

    private static readonly string[] UnaryMethods = ["RegisterBackend", "RemoveBackend", "PrefixMatch", "ExplainPrefix", "ReportUsage"];

    private static V1.PromptInput Prompt(int seed, int count)
    {
        var random = new Random(seed);
        var prompt = new V1.PromptInput();
        prompt.TokenIds.AddRange(Enumerable.Range(0, count).Select(_ => random.Next(0, 100_000)));
        return prompt;
    }

    private static V1.RegisterBackendRequest Engine(string id = "vllm-0") =>
        new() { Backend = new V1.PrefixBackend { Id = id, Tokenizer = "caller", BlockSize = 16, Model = "gpt-4o" } };

    private static V1.PrefixMatchRequest Match(V1.PromptInput prompt, string backend = "vllm-0") =>
        new() { Prompt = prompt, Candidates = { new V1.PrefixCandidate { BackendId = backend } } };

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    public async Task Every_prefix_rpc_refuses_a_missing_or_invalid_key(string? key)
    {
        await using var host = await ServerHost.StartAsync();
        var client = new V1.PrefixCache.PrefixCacheClient(host.Channel);
        var headers = key is null ? new Metadata() : ServerHost.Headers(key);

        var errors = new List<RpcException>
        {
            await Assert.ThrowsAsync<RpcException>(async () => await client.RegisterBackendAsync(Engine(), headers)),
            await Assert.ThrowsAsync<RpcException>(async () => await client.RemoveBackendAsync(new V1.RemoveBackendRequest { BackendId = "x" }, headers)),
            await Assert.ThrowsAsync<RpcException>(async () => await client.PrefixMatchAsync(Match(Prompt(1, 32)), headers)),
            await Assert.ThrowsAsync<RpcException>(async () => await client.ExplainPrefixAsync(new V1.ExplainPrefixRequest { Prompt = Prompt(1, 32) }, headers)),
            await Assert.ThrowsAsync<RpcException>(async () => await client.ReportUsageAsync(new V1.ReportUsageRequest { BackendId = "x", Prompt = Prompt(1, 32) }, headers)),
            await Assert.ThrowsAsync<RpcException>(async () =>
            {
                using var call = client.StreamKvEvents(headers);
                await call.RequestStream.WriteAsync(new V1.KvEventMessage { BackendId = "x", Kind = V1.KvEventKind.AllBlocksCleared });
                await call.RequestStream.CompleteAsync();
                await call.ResponseAsync;
            }),
        };

        Assert.All(errors, e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
    }

    [Fact]
    public async Task A_read_key_may_match_and_explain_but_not_register_report_remove_or_stream()
    {
        await using var host = await ServerHost.StartAsync();
        var client = new V1.PrefixCache.PrefixCacheClient(host.Channel);
        var read = ServerHost.Headers(await host.CreateKeyAsync("acme", V1.Role.Read));

        var match = await client.PrefixMatchAsync(Match(Prompt(1, 32)), read);
        var explain = await client.ExplainPrefixAsync(new V1.ExplainPrefixRequest { Prompt = Prompt(1, 32) }, read);
        var denied = new[]
        {
            await Assert.ThrowsAsync<RpcException>(async () => await client.RegisterBackendAsync(Engine(), read)),
            await Assert.ThrowsAsync<RpcException>(async () => await client.RemoveBackendAsync(new V1.RemoveBackendRequest { BackendId = "vllm-0" }, read)),
            await Assert.ThrowsAsync<RpcException>(async () => await client.ReportUsageAsync(new V1.ReportUsageRequest { BackendId = "vllm-0", Prompt = Prompt(1, 32) }, read)),
            await Assert.ThrowsAsync<RpcException>(async () =>
            {
                using var call = client.StreamKvEvents(read);
                await call.RequestStream.WriteAsync(new V1.KvEventMessage { BackendId = "vllm-0", Kind = V1.KvEventKind.AllBlocksCleared });
                await call.RequestStream.CompleteAsync();
                await call.ResponseAsync;
            }),
        };

        Assert.False(Assert.Single(match.Backends).Known);
        Assert.False(explain.Found);
        Assert.All(denied, e => Assert.Equal(StatusCode.PermissionDenied, e.StatusCode));
    }

    [Fact]
    public async Task Same_tenant_matches_its_prefix_and_another_tenant_with_the_same_backend_id_and_prompt_matches_nothing()
    {
        await using var host = await ServerHost.StartAsync();
        var client = new V1.PrefixCache.PrefixCacheClient(host.Channel);
        var acme = ServerHost.Headers(await host.CreateKeyAsync("acme", V1.Role.Write));
        var globex = ServerHost.Headers(await host.CreateKeyAsync("globex", V1.Role.Write));
        var prompt = Prompt(2, 100);

        await client.RegisterBackendAsync(Engine(), acme);
        await client.ReportUsageAsync(new V1.ReportUsageRequest { BackendId = "vllm-0", Prompt = prompt }, acme);

        // Before globex registers anything, acme's backend is invisible to it.
        var unseen = Assert.Single((await client.PrefixMatchAsync(Match(prompt), globex)).Backends);
        Assert.False(unseen.Known);
        Assert.False((await client.ExplainPrefixAsync(new V1.ExplainPrefixRequest { Prompt = prompt }, globex)).Found);
        Assert.False((await client.RemoveBackendAsync(new V1.RemoveBackendRequest { BackendId = "vllm-0" }, globex)).Removed);
        var foreign = await Assert.ThrowsAsync<RpcException>(async () => await client.ReportUsageAsync(new V1.ReportUsageRequest { BackendId = "vllm-0", Prompt = prompt }, globex));
        Assert.Equal(StatusCode.InvalidArgument, foreign.StatusCode);
        var foreignStream = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.StreamKvEvents(globex);
            await call.RequestStream.WriteAsync(new V1.KvEventMessage { BackendId = "vllm-0", Kind = V1.KvEventKind.AllBlocksCleared });
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });
        Assert.Equal(StatusCode.InvalidArgument, foreignStream.StatusCode);

        // Now globex has a backend with the same id and streams the same tokens as KV events of its own engine:
        // its keys are salted with its tenant, so acme's holdings stay unreachable and its own are separate.
        await client.RegisterBackendAsync(Engine(), globex);
        var mine = Assert.Single((await client.PrefixMatchAsync(Match(prompt), acme)).Backends);
        var theirs = Assert.Single((await client.PrefixMatchAsync(Match(prompt), globex)).Backends);
        Assert.Equal(96, mine.MatchedTokens);
        Assert.True(theirs.Known);
        Assert.Equal(0, theirs.MatchedTokens);
        Assert.Equal(0, theirs.ExpectedCachedTokens);
        Assert.Equal(96, Assert.Single((await client.PrefixMatchAsync(Match(prompt), acme)).Backends).MatchedTokens);
    }

    [Fact]
    public async Task Kv_events_stream_in_and_a_stream_naming_two_backends_or_carrying_a_bad_event_is_invalid()
    {
        await using var host = await ServerHost.StartAsync();
        var client = new V1.PrefixCache.PrefixCacheClient(host.Channel);
        var acme = ServerHost.Headers(await host.CreateKeyAsync("acme", V1.Role.Write));
        await client.RegisterBackendAsync(Engine(), acme);
        await client.RegisterBackendAsync(Engine("vllm-1"), acme);
        var prompt = Prompt(3, 64);

        // The child block arrives before its parent: buffered, then resolved.
        using (var call = client.StreamKvEvents(acme))
        {
            var child = new V1.KvEventMessage { BackendId = "vllm-0", Kind = V1.KvEventKind.BlockStored, ParentBlockHash = 11, BlockHashes = { 12, 13 } };
            child.TokenIds.AddRange(prompt.TokenIds.Skip(16).Take(32));
            var parent = new V1.KvEventMessage { Kind = V1.KvEventKind.BlockStored, BlockHashes = { 11 } };
            parent.TokenIds.AddRange(prompt.TokenIds.Take(16));
            await call.RequestStream.WriteAsync(child);
            await call.RequestStream.WriteAsync(parent);
            await call.RequestStream.CompleteAsync();
            var summary = await call.ResponseAsync;
            Assert.Equal(2, summary.Events);
            Assert.Equal(3, summary.BlocksStored);
            Assert.Equal(0, summary.Pending);
        }

        Assert.Equal(48, Assert.Single((await client.PrefixMatchAsync(Match(prompt), acme)).Backends).MatchedTokens);

        var mixed = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.StreamKvEvents(acme);
            await call.RequestStream.WriteAsync(new V1.KvEventMessage { BackendId = "vllm-1", Kind = V1.KvEventKind.AllBlocksCleared });
            await call.RequestStream.WriteAsync(new V1.KvEventMessage { BackendId = "vllm-0", Kind = V1.KvEventKind.AllBlocksCleared });
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });
        var badTokens = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.StreamKvEvents(acme);
            await call.RequestStream.WriteAsync(new V1.KvEventMessage { BackendId = "vllm-0", Kind = V1.KvEventKind.BlockStored, BlockHashes = { 1 }, TokenIds = { 1, 2, 3 } });
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            using var call = client.StreamKvEvents(acme);
            await call.RequestStream.WriteAsync(new V1.KvEventMessage { BackendId = "nobody", Kind = V1.KvEventKind.AllBlocksCleared });
            await call.RequestStream.CompleteAsync();
            await call.ResponseAsync;
        });

        Assert.All([mixed, badTokens, unknown], e => Assert.Equal(StatusCode.InvalidArgument, e.StatusCode));
        Assert.Contains("one backend", mixed.Status.Detail, StringComparison.Ordinal);

        // vllm-0 still holds what it held; the mixed stream cleared vllm-1 only before it was refused.
        Assert.Equal(48, Assert.Single((await client.PrefixMatchAsync(Match(prompt), acme)).Backends).MatchedTokens);
    }

    [Fact]
    public async Task Hundreds_of_hostile_prefix_requests_get_proper_statuses_and_change_nothing_of_another_tenant()
    {
        await using var host = await ServerHost.StartAsync();
        var client = new V1.PrefixCache.PrefixCacheClient(host.Channel);
        var acme = ServerHost.Headers(await host.CreateKeyAsync("acme", V1.Role.Write));
        var prompt = Prompt(4, 80);
        await client.RegisterBackendAsync(Engine(), acme);
        await client.ReportUsageAsync(new V1.ReportUsageRequest { BackendId = "vllm-0", Prompt = prompt }, acme);

        var mallory = ServerHost.Headers(await host.CreateKeyAsync("mallory", V1.Role.Write));
        var invoker = host.Channel.CreateCallInvoker();
        var random = new Random(20261201);
        var statuses = new Dictionary<StatusCode, int>();
        foreach (var (method, payload) in HostilePayloads(random))
        {
            StatusCode status;
            try
            {
                await invoker.AsyncUnaryCall(new Method<byte[], byte[]>(MethodType.Unary, "semcache.v1.PrefixCache", method, RawBytes, RawBytes), null, new CallOptions(mallory), payload);
                status = StatusCode.OK;
            }
            catch (RpcException e)
            {
                status = e.StatusCode;
            }

            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            Assert.True(status is StatusCode.OK or StatusCode.InvalidArgument, $"{method} with {payload.Length} bytes answered {status}");
        }

        // Garbage frames on the event stream: each stream ends InvalidArgument (or OK when the bytes happen to parse).
        var streamMethod = new Method<byte[], byte[]>(MethodType.ClientStreaming, "semcache.v1.PrefixCache", "StreamKvEvents", RawBytes, RawBytes);
        for (var i = 0; i < 40; i++)
        {
            var frame = new byte[random.Next(1, 200)];
            random.NextBytes(frame);
            StatusCode status;
            try
            {
                using var call = invoker.AsyncClientStreamingCall(streamMethod, null, new CallOptions(mallory));
                await call.RequestStream.WriteAsync(frame);
                await call.RequestStream.CompleteAsync();
                await call.ResponseAsync;
                status = StatusCode.OK;
            }
            catch (RpcException e)
            {
                status = e.StatusCode;
            }

            Assert.True(status is StatusCode.OK or StatusCode.InvalidArgument, $"a garbage KV event stream answered {status}");
        }

        Assert.True(statuses.GetValueOrDefault(StatusCode.InvalidArgument) > 300, string.Join(", ", statuses));
        Assert.Equal(80 / 16 * 16, Assert.Single((await client.PrefixMatchAsync(Match(prompt), acme)).Backends).MatchedTokens);
        Assert.True((await client.ExplainPrefixAsync(new V1.ExplainPrefixRequest { Prompt = prompt }, acme)).Found);
    }

    [Fact]
    public async Task The_dotnet_client_implements_IPrefixCache_end_to_end_with_streamed_events()
    {
        await using var host = await ServerHost.StartAsync();
        var key = await host.CreateKeyAsync("acme", V1.Role.Write);
        using var client = new PrefixCacheClient(host.Channel, key);
        var prefix = Assert.IsAssignableFrom<IPrefixCache>(client);
        var tokens = Enumerable.Range(1, 40).ToArray();

        // The tenant in requests is ignored: the key decides.
        await prefix.RegisterBackendAsync("ignored", new PrefixBackend { Id = "e", Tokenizer = PrefixTokenizers.Caller, BlockSize = 8, Model = "gpt-4o" });
        var applied = await prefix.ApplyKvEventsAsync("ignored", "e", Events(new KvEvent { Kind = KvEventKind.BlockStored, BlockHashes = [1, 2, 3], TokenIds = tokens[..24] }));
        var match = await prefix.MatchAsync(new PrefixMatchRequest { Tenant = "ignored", Prompt = PrefixPrompt.FromTokens(tokens), ExpectedOutputTokens = 10 });
        var usage = await prefix.ReportUsageAsync(new PrefixUsageReport { Tenant = "ignored", BackendId = "e", Prompt = PrefixPrompt.FromTokens(tokens), CachedTokensReported = 24 });
        var changed = (int[])tokens.Clone();
        changed[20] = 999;
        var explanation = await prefix.ExplainAsync(new PrefixExplainRequest { Tenant = "ignored", Prompt = PrefixPrompt.FromTokens(changed) });

        Assert.Equal(3, applied.BlocksStored);
        var row = Assert.Single(match.Backends);
        Assert.Equal(24, row.MatchedTokens);
        Assert.Equal("e", match.RecommendedBackend);
        Assert.True(match.EstimatedSaving > 0);
        Assert.Equal(new PrefixUsageResult(40, 24, 24), usage);
        Assert.Equal(2, explanation.DivergingBlock);
        Assert.Equal(20, explanation.DivergingToken);
        Assert.True(await prefix.RemoveBackendAsync("ignored", "e"));
    }

    private static async IAsyncEnumerable<KvEvent> Events(params KvEvent[] events)
    {
        foreach (var e in events)
        {
            await Task.Yield();
            yield return e;
        }
    }

    private static IEnumerable<(string Method, byte[] Payload)> HostilePayloads(Random random)
    {
        for (var i = 0; i < 250; i++)
        {
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            yield return (UnaryMethods[i % UnaryMethods.Length], bytes);
        }

        // Well-formed but hostile: negative ids, unknown tokenizers, absurd sizes, NaN loads, bad durations.
        var negative = new V1.PromptInput { TokenIds = { 1, -5, 3 } };
        yield return ("PrefixMatch", new V1.PrefixMatchRequest { Prompt = negative }.ToByteArray());
        yield return ("PrefixMatch", new V1.PrefixMatchRequest { Prompt = Prompt(1, 10), Candidates = { new V1.PrefixCandidate { BackendId = "x", Load = double.NaN } } }.ToByteArray());
        yield return ("PrefixMatch", new V1.PrefixMatchRequest { Prompt = Prompt(1, 10), ExpectedOutputTokens = -1 }.ToByteArray());
        yield return ("PrefixMatch", new V1.PrefixMatchRequest { Prompt = new V1.PromptInput { Text = "x", Tools = { "{not json" } } }.ToByteArray());
        yield return ("ExplainPrefix", new V1.ExplainPrefixRequest { Prompt = negative }.ToByteArray());
        yield return ("ReportUsage", new V1.ReportUsageRequest { BackendId = "vllm-0", Prompt = Prompt(1, 10) }.ToByteArray());
        yield return ("ReportUsage", new V1.ReportUsageRequest { BackendId = new string('x', 10_000), Prompt = Prompt(1, 10) }.ToByteArray());
        yield return ("RegisterBackend", new V1.RegisterBackendRequest().ToByteArray());
        yield return ("RegisterBackend", new V1.RegisterBackendRequest { Backend = new V1.PrefixBackend { Id = "x", Tokenizer = "gpt2" } }.ToByteArray());
        yield return ("RegisterBackend", new V1.RegisterBackendRequest { Backend = new V1.PrefixBackend { Id = "x", BlockSize = -3 } }.ToByteArray());
        yield return ("RegisterBackend", new V1.RegisterBackendRequest { Backend = new V1.PrefixBackend { Id = "x", Rules = new V1.PrefixCacheRules { Ttl = new Google.Protobuf.WellKnownTypes.Duration { Seconds = long.MaxValue } } } }.ToByteArray());
        yield return ("RegisterBackend", new V1.RegisterBackendRequest { Backend = new V1.PrefixBackend { Id = "x", Kind = (V1.BackendKind)77 } }.ToByteArray());
        yield return ("RemoveBackend", new V1.RemoveBackendRequest().ToByteArray());
        for (var i = 0; i < 100; i++)
        {
            // Truncated valid messages.
            var valid = new V1.PrefixMatchRequest { Prompt = Prompt(i, 50), Candidates = { new V1.PrefixCandidate { BackendId = "vllm-0", Load = 0.5 } } }.ToByteArray();
            yield return ("PrefixMatch", valid[..random.Next(1, valid.Length)]);
        }
    }
}
