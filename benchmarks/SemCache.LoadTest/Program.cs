using System.CommandLine;
using System.Globalization;
using SemCache.LoadTest;

var server = new Option<string>("--server") { Description = "gRPC address.", DefaultValueFactory = _ => "http://127.0.0.1:50051" };
var key = new Option<string?>("--key") { Description = "API key (write role: the run preloads entries); default $SEMCACHE_KEY." };
var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 64 };
var channels = new Option<int>("--channels") { Description = "HTTP/2 channels shared by the clients.", DefaultValueFactory = _ => 4 };
var duration = new Option<double>("--duration") { Description = "Measured seconds.", DefaultValueFactory = _ => 10 };
var warmup = new Option<double>("--warmup") { Description = "Warm-up seconds (not measured).", DefaultValueFactory = _ => 3 };
var hitRatio = new Option<double>("--hit-ratio") { Description = "Share of lookups that ask for a stored entry (0 to 1).", DefaultValueFactory = _ => 1.0 };
var mix = new Option<string>("--mix") { Description = "Weights: exact=W,semantic-text=W,semantic-vector=W.", DefaultValueFactory = _ => "exact=1" };
var entries = new Option<int>("--entries") { Description = "Entries preloaded.", DefaultValueFactory = _ => 1000 };
var dimensions = new Option<int>("--dimensions") { Description = "Vector dimension of the server's model.", DefaultValueFactory = _ => 384 };
var prompts = new Option<FileInfo?>("--prompts") { Description = "File with one prompt per line (default: generated prompts)." };
var root = new RootCommand("semcache-loadtest: N concurrent gRPC clients against a SemCache server; prints one JSON line.")
{
    server, key, clients, channels, duration, warmup, hitRatio, mix, entries, dimensions, prompts,
};
root.SetAction(async (parseResult, cancellationToken) =>
{
    var apiKey = parseResult.GetValue(key) ?? Environment.GetEnvironmentVariable("SEMCACHE_KEY");
    if (string.IsNullOrWhiteSpace(apiKey))
    {
        await Console.Error.WriteLineAsync("loadtest: --key (or $SEMCACHE_KEY) is required.");
        return 2;
    }

    var options = new LoadOptions
    {
        Server = new Uri(parseResult.GetValue(server)!),
        Key = apiKey,
        Clients = Math.Max(1, parseResult.GetValue(clients)),
        Channels = Math.Max(1, parseResult.GetValue(channels)),
        Duration = TimeSpan.FromSeconds(parseResult.GetValue(duration)),
        Warmup = TimeSpan.FromSeconds(parseResult.GetValue(warmup)),
        HitRatio = Math.Clamp(parseResult.GetValue(hitRatio), 0, 1),
        Mix = ParseMix(parseResult.GetValue(mix)!),
        Entries = Math.Max(1, parseResult.GetValue(entries)),
        Dimensions = parseResult.GetValue(dimensions),
        Prompts = parseResult.GetValue(prompts) is { } file ? File.ReadAllLines(file.FullName).Where(l => l.Length > 0).ToList() : null,
    };
    await Console.Error.WriteLineAsync($"loadtest: {options.Clients} clients, {options.Warmup.TotalSeconds}s warm-up, {options.Duration.TotalSeconds}s measured");
    var result = await new LoadRunner(options).RunAsync(cancellationToken);
    Console.WriteLine(result.ToJson());
    return result.Errors == 0 ? 0 : 1;
});
return await root.Parse(args).InvokeAsync();

static (double Exact, double SemanticText, double SemanticVector) ParseMix(string text)
{
    double exact = 0, semanticText = 0, semanticVector = 0;
    foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
    {
        var pair = part.Split('=', 2);
        var weight = pair.Length == 2 ? double.Parse(pair[1], CultureInfo.InvariantCulture) : 1;
        switch (pair[0])
        {
            case "exact": exact = weight; break;
            case "semantic-text": semanticText = weight; break;
            case "semantic-vector": semanticVector = weight; break;
            default: throw new ArgumentException($"--mix: unknown kind '{pair[0]}' (exact, semantic-text, semantic-vector).", nameof(text));
        }
    }

    return exact + semanticText + semanticVector > 0 ? (exact, semanticText, semanticVector) : throw new ArgumentException("--mix needs a positive weight.", nameof(text));
}
