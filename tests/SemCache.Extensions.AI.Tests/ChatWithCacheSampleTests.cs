namespace SemCache.Extensions.AI.Tests;

/// <summary>Runs samples/ChatWithCache and checks that it shows what its README promises.</summary>
public sealed class ChatWithCacheSampleTests
{
    [Fact]
    public async Task The_sample_shows_a_miss_an_exact_hit_a_semantic_hit_a_vetoed_near_miss_streaming_and_savings_per_feature()
    {
        using var output = new StringWriter();

        var exit = await ChatWithCache.Demo.RunAsync(output);
        var lines = output.ToString().Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(0, exit);
        Assert.StartsWith("ask    miss     model:called", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("ask    exact    model:skipped", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("ask    semantic model:skipped", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("ask    miss     model:called", lines[3], StringComparison.Ordinal);
        Assert.StartsWith("ask    miss     model:called", lines[4], StringComparison.Ordinal);
        Assert.Contains("veto:", lines[4], StringComparison.Ordinal);
        Assert.Contains("-> Two airlines fly Florida to New York", lines[4], StringComparison.Ordinal);
        Assert.StartsWith("stream miss     model:called", lines[5], StringComparison.Ordinal);
        Assert.StartsWith("stream exact    model:skipped", lines[6], StringComparison.Ordinal);
        Assert.Contains("model calls: 4 of 7 questions", lines, StringComparer.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("geo", StringComparison.Ordinal) && l.Contains("hits 2", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("support", StringComparison.Ordinal) && l.Contains("hits 1", StringComparison.Ordinal));
    }
}
