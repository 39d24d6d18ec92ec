using System.Reflection;
using System.Text.RegularExpressions;

namespace SemCache.Extensions.AI.Tests;

/// <summary>
/// The README's C# examples teach the API by name: every option they set (<c>o.X = </c>, <c>c.X = </c>) and every
/// <c>Add...</c>/<c>Use...</c> registration they call must exist in SemCache's public API, so a rename cannot leave the
/// README behind. (The examples are fragments, so they are checked by name, not compiled.)
/// </summary>
public sealed partial class ReadmeCodeTests
{
    [Fact]
    public void Every_option_and_registration_the_README_examples_use_exists_in_the_public_API()
    {
        var blocks = CSharpBlocks();
        var members = PublicMembers();
        var options = blocks.SelectMany(b => OptionSet().Matches(b).Select(m => m.Groups[1].Value)).Distinct(StringComparer.Ordinal).ToList();
        var registrations = blocks.SelectMany(b => Registration().Matches(b).Select(m => m.Groups[1].Value)).Distinct(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(options);
        Assert.Contains("UseSemanticCache", registrations);
        var unknown = options.Concat(registrations).Where(name => !members.Contains(name)).ToList();
        Assert.True(unknown.Count == 0, "the README's C# examples use names the public API does not have: " + string.Join(", ", unknown));
    }

    private static List<string> CSharpBlocks()
    {
        var blocks = new List<string>();
        var lines = File.ReadAllLines(ReadmePath());
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim() != "```csharp") { continue; }
            var end = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
            blocks.Add(string.Join('\n', lines[(i + 1)..end]));
            i = end;
        }

        return blocks;
    }

    private static HashSet<string> PublicMembers()
    {
        // Every SemCache assembly the examples touch, plus Microsoft's registrations they chain (AddChatClient, AddHybridCache).
        Assembly[] assemblies =
        [
            typeof(ISemanticCache).Assembly,
            typeof(SemanticCacheEngine).Assembly,
            typeof(SemanticCachingChatClient).Assembly,
            typeof(SemCache.Embeddings.Onnx.OnnxEmbedderOptions).Assembly,
            typeof(SemCache.Client.SemanticCacheClient).Assembly,
            typeof(Microsoft.Extensions.DependencyInjection.ChatClientBuilderServiceCollectionExtensions).Assembly,
            typeof(Microsoft.Extensions.DependencyInjection.HybridCacheServiceExtensions).Assembly,
        ];
        return assemblies.SelectMany(a => a.GetExportedTypes())
            .SelectMany(t => t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static))
            .Select(m => m.Name)
            .ToHashSet(StringComparer.Ordinal);
    }

    private static string ReadmePath()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "README.md"))) { dir = dir.Parent; }
        return Path.Combine(dir?.FullName ?? throw new FileNotFoundException("README.md not found"), "README.md");
    }

    [GeneratedRegex(@"\b[oc]\.([A-Z]\w*)\s*=")]
    private static partial Regex OptionSet();

    [GeneratedRegex(@"\.((?:Add|Use)[A-Z]\w*)\(")]
    private static partial Regex Registration();
}
