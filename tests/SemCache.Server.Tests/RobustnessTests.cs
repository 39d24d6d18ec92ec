using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;
using Grpc.Core;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>
/// Thousands of malformed or hostile requests: each gets a proper gRPC status, the server keeps
/// serving, and what was stored before is unchanged.
/// </summary>
public sealed class RobustnessTests
{
    private static readonly Marshaller<byte[]> RawBytes = Marshallers.Create(b => b, b => b);

    private static readonly string[] Methods = ["Lookup", "LookupBatch", "Store", "Invalidate", "Delete", "Stats", "ReportHit"];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Thousands_of_hostile_requests_get_proper_statuses_and_change_nothing(bool engine)
    {
        await using var host = await ServerHost.StartAsync(engine: engine);
        var headers = ServerHost.Headers(ServerHost.AdminKey);
        var vector = TestData.Vector(3);
        var kept = await host.Raw.StoreAsync(TestData.Store("kept prompt", "kept answer", vector, "keep"), headers);

        // The hostile traffic comes with another tenant's write key: well-formed stores, deletes
        // and invalidations among it are legitimate for that tenant and must not touch this one.
        var mallory = ServerHost.Headers(await host.CreateKeyAsync("mallory", V1.Role.Write));
        var invoker = host.Channel.CreateCallInvoker();
        var random = new Random(20261128);
        var statuses = new Dictionary<StatusCode, int>();
        var payloads = HostilePayloads(random).ToList();

        foreach (var (method, payload) in payloads)
        {
            var status = await SendAsync(invoker, method, payload, mallory);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;

            // OK is allowed only for requests that happen to be harmless (a lookup that misses, a stats call);
            // the checks below prove none of them changed stored data.
            Assert.True(
                status is StatusCode.OK or StatusCode.InvalidArgument or StatusCode.ResourceExhausted,
                $"{method} with {payload.Length} bytes answered {status}");
        }

        var after = await host.Raw.LookupAsync(TestData.Lookup("kept prompt", vector), headers);
        var semantic = await host.Raw.LookupAsync(TestData.Lookup(null, vector), headers);
        Assert.True(payloads.Count >= 2000, $"only {payloads.Count} hostile requests were generated");
        Assert.True(statuses.GetValueOrDefault(StatusCode.InvalidArgument) > payloads.Count / 2, "most hostile requests must be refused as invalid");
        var stats = await host.Raw.StatsAsync(new V1.StatsRequest(), headers);
        Assert.Equal(1, stats.Entries);
        Assert.Equal("kept answer", after.Response);
        Assert.Equal(kept.EntryId, after.EntryId);
        Assert.Equal(V1.HitKind.Semantic, semantic.Kind);
    }

    [Fact]
    public async Task A_configured_cross_encoder_folder_that_does_not_exist_stops_the_start_naming_the_option()
    {
        var missing = Path.Combine(Path.GetTempPath(), "semcache-no-such-cross-encoder-" + Guid.NewGuid().ToString("N"));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => ServerHost.StartAsync(
            engine: true,
            settings: new Dictionary<string, string?> { ["SemCache:CrossEncoder:ModelDirectory"] = missing }));

        Assert.Contains("ModelDirectory", error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Raw_HTTP_requests_that_are_not_gRPC_do_not_reach_the_engine()
    {
        await using var host = await ServerHost.StartAsync();
        var fake = (FakeSemanticCache)host.Cache;
        var random = new Random(7);
        using var http = new HttpClient(host.Services.GetTestHandler()) { BaseAddress = new Uri("http://localhost") };
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 200; i++)
        {
            var body = new byte[random.Next(0, 512)];
            random.NextBytes(body);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/semcache.v1.SemanticCache/" + Methods[i % Methods.Length])
            {
                Version = HttpVersion.Version20,
                Content = new ByteArrayContent(body),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(i % 2 == 0 ? "application/grpc" : "text/plain");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ServerHost.AdminKey);
            using var response = await http.SendAsync(request);
            codes.Add(response.StatusCode);
            await response.Content.ReadAsByteArrayAsync();
        }

        var health = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(0, fake.Count);
        Assert.Equal(0, fake.LookupCalls);
        Assert.DoesNotContain(HttpStatusCode.InternalServerError, codes);
    }

    private static async Task<StatusCode> SendAsync(CallInvoker invoker, string method, byte[] payload, Metadata headers)
    {
        var descriptor = new Method<byte[], byte[]>(MethodType.Unary, "semcache.v1.SemanticCache", method, RawBytes, RawBytes);
        try
        {
            await invoker.AsyncUnaryCall(descriptor, null, new CallOptions(headers), payload);
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    private static IEnumerable<(string Method, byte[] Payload)> HostilePayloads(Random random)
    {
        var valid = new V1.StoreRequest
        {
            Scope = TestData.Scope(),
            Prompt = "a prompt",
            Response = "an answer",
            Tags = { "t" },
            Usage = new V1.Usage { InputTokens = 1, OutputTokens = 2, Cost = 0.5 },
        };
        valid.Vector.AddRange(TestData.Vector(9));
        var validBytes = valid.ToByteArray();

        for (var i = 0; i < 600; i++)
        {
            // Random bytes: mostly invalid protobuf.
            var bytes = new byte[random.Next(1, 300)];
            random.NextBytes(bytes);
            yield return (Methods[i % Methods.Length], bytes);
        }

        for (var i = 0; i < 600; i++)
        {
            // A valid store with a few bytes flipped: truncated lengths, wrong wire types, broken strings.
            var bytes = (byte[])validBytes.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            yield return (i % 2 == 0 ? "Store" : "Lookup", random.Next(4) == 0 ? bytes[..random.Next(1, bytes.Length)] : bytes);
        }

        for (var i = 0; i < 200; i++)
        {
            // Invalid UTF-8 in the prompt (field 2) and in the model (scope field 1).
            var bad = new byte[] { 0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80 }[..random.Next(1, 8)];
            var message = new List<byte> { 0x0A, (byte)(bad.Length + 2), 0x0A, (byte)bad.Length };
            message.AddRange(bad);
            message.AddRange([0x12, (byte)bad.Length]);
            message.AddRange(bad);
            yield return (i % 2 == 0 ? "Lookup" : "Store", [.. message]);
        }

        for (var i = 0; i < 200; i++)
        {
            // Deep nesting: groups opened far past the parser's recursion limit, or a length prefix that lies.
            var depth = 101 + random.Next(1000);
            var bytes = new byte[depth * 2];
            Array.Fill(bytes, (byte)0x7B, 0, depth);
            Array.Fill(bytes, (byte)0x7C, depth, depth);
            yield return (Methods[i % Methods.Length], i % 3 == 0 ? [0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x41] : bytes);
        }

        for (var i = 0; i < 300; i++)
        {
            // Semantically hostile but well-formed: wrong dimensions, NaN/Inf, no scope, huge fields.
            var lookup = TestData.Lookup(random.Next(3) == 0 ? null : "p" + i);
            switch (i % 6)
            {
                case 0:
                    lookup.Vector.AddRange(new float[random.Next(1, 40) + ServerHost.Dimensions]);
                    break;
                case 1:
                    var v = TestData.Vector(i);
                    v[random.Next(v.Length)] = random.Next(2) == 0 ? float.NaN : float.PositiveInfinity;
                    lookup.Vector.AddRange(v);
                    break;
                case 2:
                    lookup.Scope = null;
                    break;
                case 3:
                    lookup.Prompt = new string('x', 40_000);
                    break;
                case 4:
                    lookup.MinSimilarity = float.NaN;
                    break;
                default:
                    lookup.Scope.Model = new string('m', 5000);
                    break;
            }

            yield return ("Lookup", lookup.ToByteArray());
        }

        for (var i = 0; i < 150; i++)
        {
            // Huge batches, and stores with hostile durations, tags and usage.
            var batch = new V1.LookupBatchRequest();
            for (var j = 0; j < 257 + random.Next(2000); j++)
            {
                batch.Requests.Add(TestData.Lookup("b" + j));
            }

            yield return ("LookupBatch", batch.ToByteArray());

            var store = valid.Clone();
            switch (i % 4)
            {
                case 0:
                    store.TimeToLive = new Google.Protobuf.WellKnownTypes.Duration { Seconds = long.MaxValue, Nanos = -5 };
                    break;
                case 1:
                    store.Tags.AddRange(Enumerable.Range(0, 100).Select(n => "tag" + n));
                    break;
                case 2:
                    store.Usage = new V1.Usage { InputTokens = -1, Cost = double.NaN };
                    break;
                default:
                    store.Vector.Clear();
                    store.Vector.Add(float.NegativeInfinity);
                    break;
            }

            yield return ("Store", store.ToByteArray());
        }
    }
}
