using System.CommandLine;
using SemCache.Server;

namespace SemCache.Cli.Commands;

/// <summary><c>semcache serve</c>, <c>store</c>, <c>lookup</c> and <c>stats</c>.</summary>
internal static class CacheCommands
{
    public static Command Serve()
    {
        var command = new Command("serve", "Runs the SemCache server (same as 'dotnet run --project src/SemCache.Server'); options: --data, --grpc-port, --http-port, --listen, --cluster (with --silo-port, --cluster-primary, --cluster-replicas...), or any SemCache:... configuration key.")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async (parseResult, _) =>
            await SemCacheServer.RunAsync([.. parseResult.UnmatchedTokens], SemCacheServer.AddEmbeddedEngine).ConfigureAwait(false));
        return command;
    }

    public static Command Store()
    {
        var prompt = new Option<string>("--prompt") { Description = "The prompt that was answered.", Required = true };
        var response = new Option<string>("--response") { Description = "The answer.", Required = true };
        var tags = new Option<string[]>("--tag") { Description = "Tag for invalidation (repeatable).", AllowMultipleArgumentsPerToken = false };
        var ttl = new Option<TimeSpan?>("--ttl") { Description = "Time to live, e.g. 01:00:00." };
        var inputTokens = new Option<long>("--input-tokens") { Description = "Prompt tokens the answer cost." };
        var outputTokens = new Option<long>("--output-tokens") { Description = "Completion tokens the answer cost." };
        var cost = new Option<double>("--cost") { Description = "Money the answer cost." };
        var command = new Command("store", "Stores an answer; prints {\"entryId\",\"replaced\"}.") { prompt, response, tags, ttl, inputTokens, outputTokens, cost };
        var scope = ScopeOptions.Add(command);
        var connection = CacheConnection.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var cache = CacheConnection.Open(parseResult, connection);
            var usage = parseResult.GetValue(inputTokens) + parseResult.GetValue(outputTokens) > 0 || parseResult.GetValue(cost) > 0
                ? new CacheUsage(parseResult.GetValue(inputTokens), parseResult.GetValue(outputTokens), parseResult.GetValue(cost))
                : null;
            var tagValues = parseResult.GetValue(tags);
            var result = await cache.Cache.StoreAsync(
                new CacheStoreRequest
                {
                    Tenant = cache.Tenant,
                    Scope = scope.Scope(parseResult),
                    Prompt = parseResult.GetValue(prompt)!,
                    Response = parseResult.GetValue(response)!,
                    Tags = tagValues is { Length: > 0 } ? tagValues : null,
                    TimeToLive = parseResult.GetValue(ttl),
                    Usage = usage,
                },
                cancellationToken).ConfigureAwait(false);
            JsonLine.Write(json =>
            {
                json.WriteNumber("entryId", result.EntryId);
                json.WriteBoolean("replaced", result.Replaced);
            });
            return 0;
        });
        return command;
    }

    public static Command Lookup()
    {
        var prompt = new Option<string>("--prompt") { Description = "The prompt to look up.", Required = true };
        var exactOnly = new Option<bool>("--exact-only") { Description = "Use the exact layer only." };
        var minSimilarity = new Option<float?>("--min-similarity") { Description = "Similarity threshold for this lookup (0 to 1)." };
        var command = new Command("lookup", "Looks a prompt up; prints {\"hit\":\"exact|semantic|miss\",\"similarity\",\"response\",...}.") { prompt, exactOnly, minSimilarity };
        var scope = ScopeOptions.Add(command);
        var connection = CacheConnection.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var cache = CacheConnection.Open(parseResult, connection);
            var result = await cache.Cache.LookupAsync(
                new CacheLookupRequest
                {
                    Tenant = cache.Tenant,
                    Scope = scope.Scope(parseResult),
                    Prompt = parseResult.GetValue(prompt),
                    Mode = parseResult.GetValue(exactOnly) ? CacheLookupMode.ExactOnly : CacheLookupMode.ExactAndSemantic,
                    MinSimilarity = parseResult.GetValue(minSimilarity),
                },
                cancellationToken).ConfigureAwait(false);
            JsonLine.Write(json =>
            {
                json.WriteString("hit", result.Kind switch
                {
                    CacheHitKind.Exact => "exact",
                    CacheHitKind.Semantic => "semantic",
                    _ => "miss",
                });
                json.WriteNumber("similarity", Math.Round(result.Similarity, 6));
                json.WriteString("response", result.Response);
                json.WriteNumber("entryId", result.EntryId);
                json.WriteNumber("ageMs", Math.Round(result.Age.TotalMilliseconds, 3));
                json.WriteStartArray("reasons");
                foreach (var reason in result.Reasons)
                {
                    json.WriteStringValue(reason);
                }

                json.WriteEndArray();
            });
            return 0;
        });
        return command;
    }

    public static Command Stats()
    {
        var all = new Option<bool>("--all") { Description = "Whole cache (an admin key with --server)." };
        var command = new Command("stats", "Prints the counters and sizes of the tenant (or of the whole cache) as one JSON line.") { all };
        var connection = CacheConnection.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            await using var cache = CacheConnection.Open(parseResult, connection);
            var stats = await cache.Cache.GetStatsAsync(parseResult.GetValue(all) ? null : cache.Tenant, cancellationToken).ConfigureAwait(false);
            JsonLine.Write(json => JsonLine.WriteStats(json, stats));
            return 0;
        });
        return command;
    }
}
