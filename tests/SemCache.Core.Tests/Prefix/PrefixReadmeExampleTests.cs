using Microsoft.Extensions.DependencyInjection;

namespace SemCache.Tests.Prefix;

/// <summary>
/// Runs the README's worked example ("Prompt-prefix routing": a router consulting SemCache before calling a
/// provider) and checks that the README shows exactly this code, so the documented example cannot rot.
/// </summary>
public sealed class PrefixReadmeExampleTests
{
    [Fact]
    public async Task The_readme_router_example_runs_and_prints_the_recommended_provider_and_the_estimated_saving()
    {
        using var output = new StringWriter();

        await RouterExample(output);

        var line = output.ToString().Trim();
        Assert.StartsWith("send to openai-east: ", line, StringComparison.Ordinal);
        Assert.Matches(@"^send to openai-east: \d+ of \d+ prompt tokens expected from its cache, estimated saving \$0\.\d{5} of \$0\.\d{5}$", line);
        Assert.DoesNotContain("saving $0.00000", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_readme_shows_the_example_exactly_as_it_runs_here_and_the_line_it_prints()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SemCache.sln"))) { root = root.Parent; }
        Assert.NotNull(root);
        var readme = File.ReadAllText(Path.Combine(root.FullName, "README.md"));
        var source = File.ReadAllText(Path.Combine(root.FullName, "tests", "SemCache.Core.Tests", "Prefix", "PrefixReadmeExampleTests.cs"));
        const string Start = "<!-- prefix-example:start -->";
        var start = readme.IndexOf(Start, StringComparison.Ordinal);
        var end = readme.IndexOf("<!-- prefix-example:end -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "README.md lacks the prefix example markers");
        var shown = readme[(start + Start.Length)..end].Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("```", StringComparison.Ordinal)).ToList();
        Assert.True(shown.Count > 20);
        var code = source.Split('\n').Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        Assert.All(shown, line => Assert.Contains(line, code));

        using var output = new StringWriter();
        await RouterExample(output);
        Assert.Contains(output.ToString().Trim(), readme, StringComparison.Ordinal);
    }

    // ---- The example, as README.md shows it (the README block is this method's body). ----
    private static async Task RouterExample(TextWriter output)
    {
        var services = new ServiceCollection();
        services.AddPrefixCache(options => options.Secret = "router-secret"); // AddSemanticCache(...) registers it too
        await using var provider = services.BuildServiceProvider();
        var prefix = provider.GetRequiredService<IPrefixCache>();

        // Two endpoints of one provider with OpenAI-style automatic caching: at least 1,024 tokens, 128-token steps, minutes of life.
        var rules = new PrefixCacheRules { MinCachedTokens = 1024, StepTokens = 128, TimeToLive = TimeSpan.FromMinutes(5) };
        foreach (var id in new[] { "openai-east", "openai-west" })
        {
            await prefix.RegisterBackendAsync("acme", new PrefixBackend
            {
                Id = id,
                Kind = PrefixBackendKind.Provider,
                Model = "gpt-4o",
                Tokenizer = PrefixTokenizers.O200kBase,
                BlockSize = 128,
                Rules = rules,
            });
        }

        var manual = string.Join(' ', Enumerable.Range(1, 150).Select(i => $"Step {i}: hold the reset button for {i % 9 + 2} seconds."));
        PrefixPrompt Ask(string question) => new()
        {
            System = "You are Acme's support agent. Answer from this manual only:\n" + manual,
            Messages = [new PrefixMessage("user", question)],
        };

        // The first question went to openai-east; the router told SemCache where it sent it.
        await prefix.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "openai-east", Prompt = Ask("How do I reset my router?") });

        // Before calling the provider with the next question, ask SemCache where its prefix is cached.
        var advice = await prefix.MatchAsync(new PrefixMatchRequest
        {
            Tenant = "acme",
            Prompt = Ask("Does a reset erase my Wi-Fi password?"),
            ExpectedOutputTokens = 200,
            Candidates = [new PrefixCandidate("openai-east", Load: 0.3), new PrefixCandidate("openai-west", Load: 0.1)],
        });
        var best = advice.Backends.Single(b => b.BackendId == advice.RecommendedBackend);
        output.WriteLine(
            $"send to {best.BackendId}: {best.ExpectedCachedTokens} of {best.PromptTokens} prompt tokens expected from its cache, " +
            $"estimated saving ${advice.EstimatedSaving:F5} of ${best.CostWithoutCache:F5}");
    }
}
