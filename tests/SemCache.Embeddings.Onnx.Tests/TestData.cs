using System.Text.Json;

namespace SemCache.Embeddings.Onnx.Tests;

/// <summary>The public labelled data committed with the tests, in &lt;repo&gt;/tests/data.</summary>
internal static class TestData
{
    public static string DataDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "SemCache.sln")))
                {
                    return Path.GetFullPath(Path.Combine(dir.FullName, "tests", "data"));
                }
            }

            throw new InvalidOperationException($"No SemCache.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>The "a" sentences of PAWS dev pairs, in file order.</summary>
    public static List<string> PawsSentences(int count)
    {
        var path = Path.Combine(DataDirectory, "paws-dev", "pairs.jsonl");
        var sentences = new List<string>(count);
        foreach (var line in File.ReadLines(path))
        {
            using var document = JsonDocument.Parse(line);
            sentences.Add(document.RootElement.GetProperty("a").GetString()!);
            if (sentences.Count == count)
            {
                break;
            }
        }

        return sentences;
    }
}
