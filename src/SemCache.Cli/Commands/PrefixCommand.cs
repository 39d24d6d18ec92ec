using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using SemCache.Client;
using SemCache.Prefix;

namespace SemCache.Cli.Commands;

/// <summary>
/// <c>semcache prefix hash|match|explain</c>: block hashes of a prompt (the semcache scheme or NVIDIA Dynamo's),
/// which backend holds a prompt's prefix (a server's index, or the one persisted in <c>--data</c>), and where a
/// prompt first differs from a previous one.
/// </summary>
internal static class PrefixCommand
{
    public static Command Create()
    {
        var prefix = new Command("prefix", "Prompt-prefix (KV cache) hashing, matching and miss explanation.");
        prefix.Subcommands.Add(Hash());
        prefix.Subcommands.Add(Match());
        prefix.Subcommands.Add(Explain());
        return prefix;
    }

    private sealed record PromptOptions(Option<string?> Tokens, Option<string?> Text, Option<string?> File);

    private static PromptOptions AddPrompt(Command command, string name = "prompt")
    {
        var options = new PromptOptions(
            new Option<string?>("--tokens") { Description = $"The {name} as token ids, comma-separated (e.g. 1,2,3,4)." },
            new Option<string?>("--text") { Description = $"The {name} as text, tokenised with --tokenizer." },
            new Option<string?>("--file") { Description = $"A file holding the {name} text." });
        command.Options.Add(options.Tokens);
        command.Options.Add(options.Text);
        command.Options.Add(options.File);
        return options;
    }

    private static Command Hash()
    {
        var scheme = new Option<string>("--scheme") { Description = "semcache (chained XXH3-128 or SHA-256 under a tenant seed) or dynamo (XXH3-64, seed 1337, per block).", DefaultValueFactory = _ => "semcache" };
        var blockSize = new Option<int>("--block-size") { Description = "Tokens per block.", DefaultValueFactory = _ => 16 };
        var tokenizer = new Option<string>("--tokenizer") { Description = "o200k_base, cl100k_base or bytes, for --text/--file.", DefaultValueFactory = _ => PrefixTokenizers.O200kBase };
        var secret = new Option<string>("--secret") { Description = "semcache scheme: the server secret the seed derives from.", DefaultValueFactory = _ => string.Empty };
        var tenant = new Option<string>("--tenant") { Description = "semcache scheme: the tenant whose salt the seed derives from.", DefaultValueFactory = _ => "default" };
        var algorithm = new Option<string>("--algorithm") { Description = "semcache scheme: xxh3-128 or sha256.", DefaultValueFactory = _ => "xxh3-128" };
        var command = new Command("hash", "Prints the block hashes of a prompt in decimal: {\"scheme\",\"block_size\",\"tokens\",\"blocks\":[...]}.") { scheme, blockSize, tokenizer, secret, tenant, algorithm };
        var prompt = AddPrompt(command);
        command.SetAction(parseResult =>
        {
            var size = BlockSize(parseResult.GetValue(blockSize));
            var tokenizerId = Tokenizer(parseResult.GetValue(tokenizer)!);
            var tokens = Tokenized(parseResult, prompt, tokenizerId);
            switch (parseResult.GetValue(scheme))
            {
                case "dynamo":
                    var hashes = new ulong[tokens.Tokens.Length / size];
                    PrefixHashing.DynamoBlockHashes(tokens.Tokens, size, hashes);
                    JsonLine.Write(json =>
                    {
                        Header(json, "dynamo", size, tokens.Tokens.Length);
                        json.WriteStartArray("blocks");
                        foreach (var hash in hashes) { json.WriteNumberValue(hash); }
                        json.WriteEndArray();
                    });
                    return 0;
                case "semcache":
                    var hashAlgorithm = parseResult.GetValue(algorithm) switch
                    {
                        "xxh3-128" => PrefixHashAlgorithm.XxHash128,
                        "sha256" => PrefixHashAlgorithm.Sha256,
                        var other => throw new ArgumentException($"--algorithm must be xxh3-128 or sha256, not '{other}'.", "--algorithm"),
                    };

                    // The same derivation as the server's (PrefixCache.SeedFor with no shared group).
                    var seedTokenizer = parseResult.GetValue(prompt.Tokens) is not null ? PrefixTokenizers.Caller : tokenizerId;
                    var seed = PrefixSeed.Derive(Encoding.UTF8.GetBytes(parseResult.GetValue(secret)!), "tenant:" + parseResult.GetValue(tenant), seedTokenizer, size, hashAlgorithm);
                    var keys = new UInt128[tokens.Tokens.Length / size];
                    PrefixHashing.ChainKeys(tokens.Tokens, size, seed, [], hashAlgorithm, keys);
                    JsonLine.Write(json =>
                    {
                        Header(json, "semcache", size, tokens.Tokens.Length);
                        json.WriteString("algorithm", parseResult.GetValue(algorithm));
                        json.WriteStartArray("blocks");

                        // 128-bit keys in decimal, as JSON numbers (too large for doubles: read them as big integers).
                        foreach (var key in keys) { json.WriteRawValue(key.ToString(CultureInfo.InvariantCulture)); }
                        json.WriteEndArray();
                    });
                    return 0;
                default:
                    throw new ArgumentException($"--scheme must be semcache or dynamo, not '{parseResult.GetValue(scheme)}'.", "--scheme");
            }
        });
        return command;
    }

    private static Command Match()
    {
        var candidates = new Option<string[]>("--candidate") { Description = "A backend id, optionally with its load: vllm-0:0.4 (repeatable; none = every backend of the tenant).", AllowMultipleArgumentsPerToken = true };
        var model = new Option<string?>("--model") { Description = "Model for pricing when a backend names none." };
        var output = new Option<int>("--output-tokens") { Description = "Expected output tokens, for the cost estimates.", DefaultValueFactory = _ => 0 };
        var command = new Command("match", "Which backend holds the longest prefix of a prompt, with expected cached tokens and costs; one JSON line.") { candidates, model, output };
        var prompt = AddPrompt(command);
        var connection = CacheConnection.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var request = new PrefixMatchRequest
            {
                Tenant = parseResult.GetValue(connection.Tenant)!,
                Prompt = PromptOf(parseResult, prompt),
                Candidates = [.. (parseResult.GetValue(candidates) ?? []).Select(Candidate)],
                Model = parseResult.GetValue(model),
                ExpectedOutputTokens = parseResult.GetValue(output),
            };
            var (prefix, owner) = Open(parseResult, connection);
            using var disposer = owner;
            var result = await prefix.MatchAsync(request, cancellationToken).ConfigureAwait(false);
            JsonLine.Write(json =>
            {
                json.WriteString("recommended", result.RecommendedBackend);
                WriteNullable(json, "estimated_saving", result.EstimatedSaving);
                json.WriteStartArray("backends");
                foreach (var row in result.Backends)
                {
                    json.WriteStartObject();
                    json.WriteString("backend", row.BackendId);
                    json.WriteBoolean("known", row.Known);
                    json.WriteNumber("prompt_tokens", row.PromptTokens);
                    json.WriteNumber("matched_tokens", row.MatchedTokens);
                    json.WriteNumber("expected_cached_tokens", row.ExpectedCachedTokens);
                    json.WriteNumber("load", row.Load);
                    WriteNullable(json, "score", double.IsFinite(row.Score) ? row.Score : null);
                    WriteNullable(json, "cost_without_cache", row.CostWithoutCache);
                    WriteNullable(json, "cost_with_cache", row.CostWithCache);
                    json.WriteString("currency", row.Currency);
                    json.WriteEndObject();
                }

                json.WriteEndArray();
            });
            return 0;
        });
        return command;
    }

    private static Command Explain()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "o200k_base, cl100k_base or bytes (comparing two texts).", DefaultValueFactory = _ => PrefixTokenizers.O200kBase };
        var blockSize = new Option<int>("--block-size") { Description = "Tokens per block (comparing two prompts).", DefaultValueFactory = _ => 16 };
        var previousText = new Option<string?>("--previous-text") { Description = "The previous prompt's text, to compare offline." };
        var previousFile = new Option<string?>("--previous-file") { Description = "A file with the previous prompt's text, to compare offline." };
        var backend = new Option<string?>("--backend") { Description = "With --server: compare only with prompts routed to this backend." };
        var command = new Command(
            "explain",
            "Where a prompt first differs from a previous one (--previous-text/--previous-file) or, with --server, from the best-matching prompt routed before; one JSON line.")
        {
            tokenizer, blockSize, previousText, previousFile, backend,
        };
        var prompt = AddPrompt(command);
        var connection = CacheConnection.AddOptions(command);
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            PrefixExplanation explanation;
            var previous = parseResult.GetValue(previousText) ?? (parseResult.GetValue(previousFile) is { } file ? await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false) : null);
            if (previous is not null)
            {
                var size = BlockSize(parseResult.GetValue(blockSize));
                var tokenizerId = Tokenizer(parseResult.GetValue(tokenizer)!);
                explanation = PrefixExplainer.Compare(
                    PromptTokenizer.Tokenize(PrefixPrompt.FromText(previous), tokenizerId),
                    Tokenized(parseResult, prompt, tokenizerId),
                    size,
                    backendId: null);
            }
            else if (CacheConnection.ServerOf(parseResult, connection) is not null)
            {
                var (prefix, owner) = Open(parseResult, connection);
                using var disposer = owner;
                explanation = await prefix.ExplainAsync(
                    new PrefixExplainRequest { Tenant = parseResult.GetValue(connection.Tenant)!, Prompt = PromptOf(parseResult, prompt), BackendId = parseResult.GetValue(backend) },
                    cancellationToken).ConfigureAwait(false);
            }
            else
            {
                throw new ArgumentException("give --previous-text or --previous-file to compare two prompts, or --server to compare with the server's routed prompts.", "--previous-text");
            }

            JsonLine.Write(json =>
            {
                json.WriteBoolean("found", explanation.Found);
                json.WriteString("backend", explanation.BackendId);
                json.WriteNumber("prompt_tokens", explanation.PromptTokens);
                json.WriteNumber("matched_tokens", explanation.MatchedTokens);
                json.WriteNumber("diverging_block", explanation.DivergingBlock);
                json.WriteNumber("diverging_token", explanation.DivergingToken);
                json.WriteNumber("char_offset", explanation.CharOffset);
                json.WriteString("previous_text", explanation.PreviousText);
                json.WriteString("current_text", explanation.CurrentText);
                json.WriteString("summary", explanation.Summary);
            });
            return 0;
        });
        return command;
    }

    /// <summary>The server's index through the client, or the index persisted in --data, opened read-only.</summary>
    private static (IPrefixCache Cache, IDisposable Owner) Open(ParseResult parseResult, CacheConnection.Options connection)
    {
        if (CacheConnection.ServerOf(parseResult, connection) is { } server)
        {
            var client = new PrefixCacheClient(new SemanticCacheClientOptions { Address = server, ApiKey = CacheConnection.KeyOf(parseResult, connection) });
            return (client, client);
        }

        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var options = new PrefixCacheOptions();
        configuration.GetSection("SemCache:Prefix").Bind(options);
        var pricing = configuration["SemCache:PricingFile"] is { Length: > 0 } file ? PricingTable.Default.With(PricingTable.Load(file)) : PricingTable.Default;
        var local = new PrefixCache(options, parseResult.GetValue(connection.Data), pricing, readOnly: true);
        return (local, local);
    }

    private static PrefixPrompt PromptOf(ParseResult parseResult, PromptOptions options)
    {
        if (parseResult.GetValue(options.Tokens) is { } ids) { return PrefixPrompt.FromTokens(ParseTokens(ids)); }
        if (parseResult.GetValue(options.Text) is { } text) { return PrefixPrompt.FromText(text); }
        if (parseResult.GetValue(options.File) is { } file) { return PrefixPrompt.FromText(File.ReadAllText(file)); }
        throw new ArgumentException("give the prompt with --tokens, --text or --file.", "--tokens");
    }

    private static TokenizedPrompt Tokenized(ParseResult parseResult, PromptOptions options, string tokenizer) =>
        PromptTokenizer.Tokenize(PromptOf(parseResult, options), tokenizer);

    private static int[] ParseTokens(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var tokens = new int[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out tokens[i]))
            {
                throw new ArgumentException($"--tokens must be comma-separated non-negative token ids; '{parts[i]}' is not one.", "--tokens");
            }
        }

        return tokens;
    }

    private static PrefixCandidate Candidate(string text)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0) { return new PrefixCandidate(text); }
        return double.TryParse(text.AsSpan(colon + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out var load)
            ? new PrefixCandidate(text[..colon], load)
            : throw new ArgumentException($"--candidate '{text}': the load after ':' must be a number.", "--candidate");
    }

    private static int BlockSize(int value) =>
        value is >= 1 and <= 4096 ? value : throw new ArgumentException($"--block-size must be 1 to 4096, not {value}.", "--block-size");

    private static string Tokenizer(string value) =>
        value is PrefixTokenizers.O200kBase or PrefixTokenizers.Cl100kBase or PrefixTokenizers.Bytes
            ? value
            : throw new ArgumentException($"--tokenizer must be o200k_base, cl100k_base or bytes, not '{value}'.", "--tokenizer");

    private static void Header(Utf8JsonWriter json, string scheme, int blockSize, int tokens)
    {
        json.WriteString("scheme", scheme);
        json.WriteNumber("block_size", blockSize);
        json.WriteNumber("tokens", tokens);
    }

    private static void WriteNullable(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v) { json.WriteNumber(name, v); } else { json.WriteNull(name); }
    }
}
