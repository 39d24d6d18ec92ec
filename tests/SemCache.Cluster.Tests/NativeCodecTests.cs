using System.Reflection;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using SemCache.Cluster.Grains;

namespace SemCache.Cluster.Tests;

/// <summary>The records of forwarded calls cross silos in Orleans' own format without losing a field.</summary>
public sealed class NativeCodecTests
{
    private static readonly CacheScope Scope = new()
    {
        Model = "gpt-test",
        SystemPrompt = "sys",
        SystemPromptHash = "hash",
        Tools = ["search", "calc"],
        Sampling = new CacheSampling { Temperature = 0.7f, TopP = 0.9f, TopK = 40, MaxOutputTokens = 256, Seed = 7, ResponseFormat = "json" },
        Extra = new Dictionary<string, string> { ["user"] = "u1", ["region"] = "eu" },
    };

    private static Serializer NewSerializer()
    {
        var services = new ServiceCollection();
        services.AddSerializer(b => b.AddAssembly(typeof(ClusterHosting).Assembly));
        return services.BuildServiceProvider().GetRequiredService<Serializer>();
    }

    private static void AssertRoundTrip<T>(Serializer serializer, T value)
    {
        var back = serializer.Deserialize<T>(serializer.SerializeToArray(value));
        // JSON of both sides compares every public property, nested collections included.
        Assert.Equal(JsonSerializer.Serialize(value), JsonSerializer.Serialize(back));
    }

    [Fact]
    public void Every_property_of_a_forwarded_lookup_store_and_their_results_survives_the_native_encoding()
    {
        var serializer = NewSerializer();
        AssertRoundTrip(serializer, new LookupCall(new CacheLookupRequest
        {
            Tenant = "acme",
            Scope = Scope,
            Prompt = "question",
            Vector = new float[] { 0.25f, -0.5f, 1e-7f },
            Context = [new ConversationTurn("user", "hi"), new ConversationTurn("assistant", "hello")],
            Mode = CacheLookupMode.ExactOnly,
            MinSimilarity = 0.93f,
            MaxAge = TimeSpan.FromMinutes(3),
            Feature = "chat",
        }));
        AssertRoundTrip(serializer, new StoreCall(new CacheStoreRequest
        {
            Tenant = "acme",
            Scope = Scope,
            Prompt = "question",
            Response = "answer",
            Vector = new float[] { 1f, 2f },
            Context = [new ConversationTurn("user", "hi")],
            Tags = ["doc:1"],
            TimeToLive = TimeSpan.FromHours(1),
            Usage = new CacheUsage(10, 20, 0.003),
            Feature = "chat",
            CallDuration = TimeSpan.FromMilliseconds(850),
        }));
        AssertRoundTrip(serializer, new LookupBatchReply([
            new CacheLookupResult
            {
                Kind = CacheHitKind.Semantic,
                EntryId = 42,
                Response = "answer",
                Similarity = 0.97f,
                Age = TimeSpan.FromSeconds(5),
                Usage = new CacheUsage(1, 2, 0.5),
                Tags = ["doc:1"],
                Reasons = ["why"],
            },
            CacheLookupResult.Miss(),
        ]));
        AssertRoundTrip(serializer, new CacheStoreResult(42, Replaced: true));

        // A request without any optional part stays without it (null is not turned into empty, nor the reverse).
        AssertRoundTrip(serializer, new LookupCall(new CacheLookupRequest { Tenant = "acme", Scope = new CacheScope { Model = "m" }, Prompt = "p" }));
    }

    [Theory]
    [InlineData(typeof(CacheLookupRequest), typeof(LookupRequestSurrogate))]
    [InlineData(typeof(CacheStoreRequest), typeof(StoreRequestSurrogate))]
    [InlineData(typeof(CacheLookupResult), typeof(LookupResultSurrogate))]
    [InlineData(typeof(CacheScope), typeof(ScopeSurrogate))]
    [InlineData(typeof(CacheSampling), typeof(SamplingSurrogate))]
    [InlineData(typeof(ConversationTurn), typeof(TurnSurrogate))]
    [InlineData(typeof(CacheUsage), typeof(UsageSurrogate))]
    [InlineData(typeof(CacheStoreResult), typeof(StoreResultSurrogate))]
    public void A_property_added_to_a_record_without_its_surrogate_field_fails_here(Type record, Type surrogate)
    {
        var properties = record.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.Name != "EqualityContract")
            .Select(p => p.Name)
            .Order(StringComparer.Ordinal);
        var fields = surrogate.GetFields(BindingFlags.Public | BindingFlags.Instance).Select(f => f.Name).Order(StringComparer.Ordinal);
        Assert.Equal(properties, fields);
        Assert.Contains(record, NativeCodecs.Types);
    }
}
