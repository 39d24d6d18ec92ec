using System.Text;
using BenchmarkDotNet.Attributes;
using SemCache.Prefix;

namespace SemCache.Benchmarks.Prefix;

/// <summary>
/// Local tokenisation of a prompt of about 8k o200k tokens (English prose with code), reported apart from the match
/// because engines and routers that send token ids never pay it: o200k_base and cl100k_base through
/// Microsoft.ML.Tokenizers, and the byte fallback.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("Prefix")]
public class PrefixTokenizationBenchmarks
{
    private PrefixPrompt _prompt = null!;

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        var random = new Random(42);
        string[] words = ["the", "router", "sends", "each", "request", "to", "a", "replica", "that", "already", "holds", "its", "prefix", "cache", "tokens", "blocks", "latency", "cost", "provider", "model"];
        while (text.Length < 36_000)
        {
            for (var i = 0; i < 12; i++) { text.Append(words[random.Next(words.Length)]).Append(' '); }
            text.Append(random.Next(0, 10_000)).Append(". ");
            if (random.Next(8) == 0) { text.Append("\nfor (var i = 0; i < n; i++) { sum += a[i] * b[i]; }\n"); }
        }

        _prompt = PrefixPrompt.FromText(text.ToString());
        Console.WriteLine($"// o200k tokens: {PromptTokenizer.Tokenize(_prompt, PrefixTokenizers.O200kBase).Tokens.Length}, characters: {text.Length}");
    }

    [Benchmark(Baseline = true)]
    public int O200kBase() => PromptTokenizer.Tokenize(_prompt, PrefixTokenizers.O200kBase).Tokens.Length;

    [Benchmark]
    public int Cl100kBase() => PromptTokenizer.Tokenize(_prompt, PrefixTokenizers.Cl100kBase).Tokens.Length;

    [Benchmark]
    public int Bytes() => PromptTokenizer.Tokenize(_prompt, PrefixTokenizers.Bytes).Tokens.Length;
}
