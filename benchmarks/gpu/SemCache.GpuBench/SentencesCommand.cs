using System.CommandLine;
using System.Text.Json;

namespace SemCache.GpuBench;

/// <summary>
/// <c>sentences --count N --output FILE</c>: fixed-seed support-desk questions, one per line, and
/// the same as a pairs.jsonl (<c>{"a","b"}</c>) beside it, for machines that do not hold the shared
/// data sets (the device machine receives only the repository).
/// </summary>
internal static class SentencesCommand
{
    private static readonly string[] Openers = ["How do I", "Can I", "Where can I", "Is it possible to", "What is the fastest way to", "Why can't I", "When should I", "Who can help me"];
    private static readonly string[] Verbs = ["reset", "change", "cancel", "download", "update", "share", "export", "delete", "renew", "track"];
    private static readonly string[] Objects = ["my password", "the invoice for March", "a shared folder", "my subscription", "the billing address", "two-factor login", "an order from last week", "the team workspace", "my API key", "a refund request"];
    private static readonly string[] Tails = ["?", " on mobile?", " without losing data?", " for 3 users?", " before Friday?", " from the web app?"];

    public static Command Create()
    {
        var count = new Option<int>("--count") { Description = "Sentences.", DefaultValueFactory = _ => 1000 };
        var output = new Option<FileInfo>("--output") { Description = "Text file, one sentence per line; FILE.pairs.jsonl is written beside it.", Required = true };
        var command = new Command("sentences", "Writes fixed-seed test sentences.") { count, output };
        command.SetAction(parse =>
        {
            var n = parse.GetValue(count);
            var path = parse.GetValue(output)!.FullName;
            var random = new Random(7);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var lines = new List<string>(n);
            while (lines.Count < n)
            {
                var s = $"{Openers[random.Next(Openers.Length)]} {Verbs[random.Next(Verbs.Length)]} {Objects[random.Next(Objects.Length)]}{Tails[random.Next(Tails.Length)]}";
                if (!seen.Add(s)) { s += $" (case {lines.Count})"; }
                lines.Add(s);
            }

            File.WriteAllLines(path, lines);
            File.WriteAllLines(path + ".pairs.jsonl", Enumerable.Range(0, (n + 1) / 2).Select(i => JsonSerializer.Serialize(new { a = lines[2 * i], b = lines[Math.Min(n - 1, (2 * i) + 1)] })));
            return 0;
        });
        return command;
    }
}
