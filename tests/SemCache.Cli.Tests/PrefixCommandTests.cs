namespace SemCache.Cli.Tests;

/// <summary><c>semcache prefix hash|match|explain</c> through the real CLI: known answers, JSON fields and errors.</summary>
public sealed class PrefixCommandTests
{
    [Fact]
    public async Task Prefix_hash_with_the_dynamo_scheme_prints_the_published_known_answer_in_decimal()
    {
        var result = await CliRunner.RunAsync("prefix", "hash", "--scheme", "dynamo", "--block-size", "4", "--tokens", "1,2,3,4");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json();
        Assert.Equal("dynamo", json.GetProperty("scheme").GetString());
        Assert.Equal(14643705804678351452UL, Assert.Single(json.GetProperty("blocks").EnumerateArray()).GetUInt64());
    }

    [Fact]
    public async Task Prefix_hash_with_the_semcache_scheme_prints_the_pinned_chained_keys_in_decimal()
    {
        // The same pins as the core known-answer test (hex ad8b8e6c…, 637eb653…), here in decimal.
        var result = await CliRunner.RunAsync("prefix", "hash", "--scheme", "semcache", "--block-size", "4", "--tokens", "1,2,3,4,5,6,7,8,9", "--secret", "known-answer-secret", "--tenant", "acme");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var blocks = result.Json().GetProperty("blocks").EnumerateArray().Select(b => b.GetRawText()).ToArray();
        Assert.Equal(["230681061213792557189971601389704388737", "132251498990954400140800782505237142914"], blocks);
        Assert.Equal(9, result.Json().GetProperty("tokens").GetInt32());
    }

    [Fact]
    public async Task Prefix_explain_compares_two_texts_and_names_the_character_where_they_differ()
    {
        var result = await CliRunner.RunAsync(
            "prefix", "explain", "--block-size", "4",
            "--previous-text", "You are a helpful assistant. Today is 2026-01-01. Answer in French.",
            "--text", "You are a helpful assistant. Today is 2026-01-02. Answer in French.");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json();
        Assert.Equal(47, json.GetProperty("char_offset").GetInt32());
        Assert.Contains("2026-01-02", json.GetProperty("current_text").GetString(), StringComparison.Ordinal);
        Assert.True(json.GetProperty("diverging_block").GetInt32() >= 1);
    }

    [Fact]
    public async Task Prefix_match_on_an_empty_data_directory_reports_unknown_candidates_without_writing_there()
    {
        var data = Path.Combine(Path.GetTempPath(), "semcache-cli-prefix-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        try
        {
            var result = await CliRunner.RunAsync("prefix", "match", "--data", data, "--tokens", "1,2,3", "--candidate", "vllm-0:0.5");

            Assert.True(result.ExitCode == 0, result.Stderr);
            var row = Assert.Single(result.Json().GetProperty("backends").EnumerateArray());
            Assert.False(row.GetProperty("known").GetBoolean());
            Assert.Equal(0.5, row.GetProperty("load").GetDouble());
            Assert.Empty(Directory.EnumerateFileSystemEntries(data));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Theory]
    [InlineData("hash", "--tokens", "1,x", "--tokens")]
    [InlineData("hash", "--scheme", "md5", "--scheme")]
    [InlineData("hash", "--block-size", "0", "--block-size")]
    [InlineData("explain", "--text", "only one prompt", "--previous-text")]
    public async Task Prefix_commands_refuse_bad_options_with_one_line_naming_the_option(string command, string option, string value, string named)
    {
        var args = new List<string> { "prefix", command, option, value };
        if (option != "--tokens" && option != "--text") { args.AddRange(["--tokens", "1,2,3,4"]); }

        var result = await CliRunner.RunAsync([.. args]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout.Trim());
    }
}
