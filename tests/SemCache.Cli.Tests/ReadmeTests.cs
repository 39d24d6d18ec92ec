using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SemCache.Cli.Tests;

/// <summary>
/// The README never shows an answer the product no longer gives: every <c>semcache store</c>/<c>lookup</c> transcript
/// is replayed against a fresh embedded store (the server runs the same engine) and each shown result compared, and
/// every <c>semcache</c> command the README names exists.
/// </summary>
public sealed partial class ReadmeTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "semcache-readme-" + Guid.NewGuid().ToString("n"));

    public static TheoryData<int> Transcripts()
    {
        var data = new TheoryData<int>();
        var blocks = Blocks();
        for (var i = 0; i < blocks.Count; i++)
        {
            if (Steps(blocks[i]).Any(s => s.Expected is not null)) { data.Add(i); }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Transcripts))]
    public async Task A_README_transcript_gives_the_results_it_shows(int block)
    {
        var steps = Steps(Blocks()[block]);
        foreach (var step in steps)
        {
            var result = await CliRunner.RunAsync([.. step.Args, "--data", _data]);
            Assert.True(result.ExitCode == 0, $"semcache {string.Join(' ', step.Args)} failed: {result.Stderr}");
            if (step.Expected is not { } expected) { continue; }

            var actual = result.Json();
            foreach (var property in expected.EnumerateObject())
            {
                // Time since the store differs on every run; everything else must be what the README shows.
                if (property.Name == "ageMs") { continue; }
                var got = actual.GetProperty(property.Name);
                if (property.Value.ValueKind == JsonValueKind.Number && property.Name == "similarity")
                {
                    Assert.Equal(property.Value.GetDouble(), got.GetDouble(), 3);
                }
                else
                {
                    Assert.True(JsonElement.DeepEquals(property.Value, got), $"README block {block}: semcache {string.Join(' ', step.Args)} shows {property.Name} = {property.Value.GetRawText()}, the product answers {got.GetRawText()}");
                }
            }
        }
    }

    [Fact]
    public async Task Every_semcache_command_the_README_names_exists()
    {
        var help = await CliRunner.RunAsync("--help");
        var named = CommandName().Matches(File.ReadAllText(ReadmePath())).Select(m => m.Groups[1].Value).Distinct(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(named);
        foreach (var command in named)
        {
            Assert.True(Regex.IsMatch(help.Stdout, $@"^\s+{Regex.Escape(command)}\b", RegexOptions.Multiline), $"the README names 'semcache {command}', which `semcache --help` does not list");
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_data)) { Directory.Delete(_data, recursive: true); }
    }

    private sealed record Step(string[] Args, JsonElement? Expected);

    /// <summary>The README's fenced blocks that run <c>semcache store</c> or <c>lookup</c>.</summary>
    private static List<string[]> Blocks()
    {
        var blocks = new List<string[]>();
        List<string>? current = null;
        foreach (var line in File.ReadAllLines(ReadmePath()))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                if (current is null) { current = []; continue; }
                if (current.Any(l => l.StartsWith("semcache store", StringComparison.Ordinal) || l.StartsWith("semcache lookup", StringComparison.Ordinal))) { blocks.Add([.. current]); }
                current = null;
                continue;
            }

            current?.Add(line);
        }

        return blocks;
    }

    /// <summary>Each store or lookup, with the JSON line shown after it (bare or as a <c># {...}</c> comment), if any.</summary>
    private static List<Step> Steps(string[] block)
    {
        var steps = new List<Step>();
        for (var i = 0; i < block.Length; i++)
        {
            var line = block[i];
            if (!line.StartsWith("semcache store", StringComparison.Ordinal) && !line.StartsWith("semcache lookup", StringComparison.Ordinal)) { continue; }
            var args = Split(line)[1..].ToList();

            // The server options of a transcript: the same commands run here on the embedded store (--data).
            for (var j = args.Count - 2; j >= 0; j--)
            {
                if (args[j] is "--server" or "--key") { args.RemoveRange(j, 2); }
            }

            JsonElement? expected = null;
            var next = i + 1 < block.Length ? block[i + 1].Trim() : string.Empty;
            if (next.StartsWith("# {", StringComparison.Ordinal)) { next = next[2..]; }
            if (next.StartsWith('{'))
            {
                using var document = JsonDocument.Parse(next);
                expected = document.RootElement.Clone();
            }

            steps.Add(new Step([.. args], expected));
        }

        return steps;
    }

    /// <summary>Splits a shell line into words: double quotes group, a '#' outside quotes starts a comment.</summary>
    private static string[] Split(string line)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in line)
        {
            if (c == '"') { quoted = !quoted; any = true; continue; }
            if (!quoted && c == '#') { break; }
            if (!quoted && char.IsWhiteSpace(c))
            {
                if (any) { words.Add(word.ToString()); word.Clear(); any = false; }
                continue;
            }

            word.Append(c);
            any = true;
        }

        if (any) { words.Add(word.ToString()); }
        return [.. words];
    }

    private static string ReadmePath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "README.md"))) { dir = dir.Parent; }
        return Path.Combine(dir?.FullName ?? throw new FileNotFoundException("README.md not found above " + AppContext.BaseDirectory), "README.md");
    }

    [GeneratedRegex(@"(?m)(?:^|[\s`(])semcache ([a-z][a-z-]+)\b")]
    private static partial Regex CommandName();
}
