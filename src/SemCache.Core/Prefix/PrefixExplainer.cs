using System.Globalization;

namespace SemCache.Prefix;

/// <summary>
/// Where a prompt first differs from a previous one: block, token, character, and the text around it on both
/// sides — the answer to "why did this miss?" (a timestamp in the system prompt, reordered tools...).
/// </summary>
internal static class PrefixExplainer
{
    /// <summary>Characters shown on each side of a difference.</summary>
    private const int Context = 32;

    public static PrefixExplanation Compare(TokenizedPrompt previous, TokenizedPrompt current, int blockSize, string? backendId)
    {
        var shared = previous.Tokens.AsSpan().CommonPrefixLength(current.Tokens);
        var matched = shared / blockSize * blockSize;
        var where = backendId is null ? "the previous prompt" : $"the prompt last sent to '{backendId}'";
        if (shared == current.Tokens.Length || shared == previous.Tokens.Length)
        {
            return new PrefixExplanation
            {
                Found = true,
                BackendId = backendId,
                PromptTokens = current.Tokens.Length,
                MatchedTokens = matched,
                Summary = string.Create(
                    CultureInfo.InvariantCulture,
                    $"no divergence: the prompt {(shared == current.Tokens.Length ? "is a prefix of" : "extends")} {where}; {matched} tokens in whole blocks of {blockSize} can be reused"),
            };
        }

        var charOffset = -1;
        string? before = null, after = null;
        if (previous.Text is not null && current.Text is not null)
        {
            charOffset = previous.Text.AsSpan().CommonPrefixLength(current.Text);
            before = Around(previous.Text, charOffset);
            after = Around(current.Text, charOffset);
        }

        var block = shared / blockSize;
        var detail = charOffset >= 0 ? $", character {charOffset}: was \"{before}\", now \"{after}\"" : string.Empty;
        return new PrefixExplanation
        {
            Found = true,
            BackendId = backendId,
            PromptTokens = current.Tokens.Length,
            MatchedTokens = matched,
            DivergingBlock = block,
            DivergingToken = shared,
            CharOffset = charOffset,
            PreviousText = before,
            CurrentText = after,
            Summary = string.Create(
                CultureInfo.InvariantCulture,
                $"the prompt differs from {where} at block {block} (token {shared}{detail}); only the first {matched} tokens can be reused and every block after it misses"),
        };
    }

    private static string Around(string text, int offset)
    {
        var start = Math.Max(0, offset - Context);
        var end = Math.Min(text.Length, offset + Context);
        return (start > 0 ? "…" : string.Empty) + text[start..end].Replace("\n", "\\n", StringComparison.Ordinal) + (end < text.Length ? "…" : string.Empty);
    }
}
