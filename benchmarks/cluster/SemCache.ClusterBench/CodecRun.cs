using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using SemCache.Cluster;
using SemCache.Cluster.Grains;

namespace SemCache.ClusterBench;

/// <summary>
/// What encoding a forwarded lookup and its result costs, side by side in one process: the Orleans-native
/// surrogates the cluster uses now against System.Text.Json (what Orleans' JSON codec, used before, runs for
/// these records). Rounds alternate between the two so that the machine's load hits both alike.
/// </summary>
internal static class CodecRun
{
    public static JsonObject Run(int dimensions, int iterations, int rounds, TextWriter progress)
    {
        var services = new ServiceCollection();
        services.AddSerializer(b => b.AddAssembly(typeof(ClusterHosting).Assembly));
        var serializer = services.BuildServiceProvider().GetRequiredService<Serializer>();
        var random = new Random(17);
        var vector = new float[dimensions];
        for (var i = 0; i < vector.Length; i++) { vector[i] = (float)(random.NextDouble() - 0.5); }
        var request = new CacheLookupRequest
        {
            Tenant = "tenant-0",
            Scope = new CacheScope { Model = "gpt-4o-mini", SystemPrompt = "You answer briefly.", Extra = new Dictionary<string, string> { ["user"] = "u1" } },
            Prompt = "How do I reset my password on the customer portal?",
            Vector = vector,
        };
        var result = new CacheLookupResult
        {
            Kind = CacheHitKind.Exact,
            EntryId = 123_456_789,
            Response = "Open Settings, then Security, then Reset password; a link is mailed to you.",
            Similarity = 1f,
            Age = TimeSpan.FromSeconds(42),
            Usage = new CacheUsage(120, 40, 0.0004),
            Tags = ["doc:1"],
        };

        long Native()
        {
            long bytes = 0;
            for (var i = 0; i < iterations; i++)
            {
                var call = serializer.SerializeToArray(new LookupCall(request));
                _ = serializer.Deserialize<LookupCall>(call);
                var reply = serializer.SerializeToArray(new LookupReply(result));
                _ = serializer.Deserialize<LookupReply>(reply);
                bytes += call.Length + reply.Length;
            }

            return bytes / iterations;
        }

        long Json()
        {
            long bytes = 0;
            for (var i = 0; i < iterations; i++)
            {
                var call = JsonSerializer.SerializeToUtf8Bytes(request);
                _ = JsonSerializer.Deserialize<CacheLookupRequest>(call);
                var reply = JsonSerializer.SerializeToUtf8Bytes(result);
                _ = JsonSerializer.Deserialize<CacheLookupResult>(reply);
                bytes += call.Length + reply.Length;
            }

            return bytes / iterations;
        }

        // Warm-up (JIT, codec caches), then alternating measured rounds; the median round of each counts.
        Native();
        Json();
        var native = new List<double>();
        var json = new List<double>();
        long nativeBytes = 0, jsonBytes = 0;
        for (var r = 0; r < rounds; r++)
        {
            var sw = Stopwatch.StartNew();
            nativeBytes = Native();
            native.Add(sw.Elapsed.TotalMicroseconds / iterations);
            sw.Restart();
            jsonBytes = Json();
            json.Add(sw.Elapsed.TotalMicroseconds / iterations);
            progress.WriteLine($"codec: round {r}: native {native[^1]:0.00} us, json {json[^1]:0.00} us per lookup and reply");
        }

        var nativeUs = Median(native);
        var jsonUs = Median(json);
        return new JsonObject
        {
            ["dimensions"] = dimensions,
            ["iterations_per_round"] = iterations,
            ["rounds"] = rounds,
            ["native_us_per_call_and_reply"] = Math.Round(nativeUs, 2),
            ["json_us_per_call_and_reply"] = Math.Round(jsonUs, 2),
            ["json_vs_native"] = Math.Round(jsonUs / nativeUs, 2),
            ["native_bytes"] = nativeBytes,
            ["json_bytes"] = jsonBytes,
        };
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
