namespace SemCache.Embeddings.Onnx.Tokenization;

/// <summary>
/// Accent stripping as the BERT basic tokenizer does it (canonical decomposition, then non-spacing
/// marks removed), from a generated table because invariant-globalization .NET does not normalise.
/// </summary>
internal static partial class AccentFolding
{
    private const int HangulBase = 0xAC00;
    private const int HangulCount = 11_172;

    // Built on first use: the generated table lives in another part of this class, and static
    // initialisers of partial classes run in no guaranteed order.
    private static Dictionary<char, string>? s_map;

    private static Dictionary<char, string> Map => s_map ??= BuildMap();

    /// <summary>The folded form of <paramref name="c"/>, or null when it folds to itself.</summary>
    public static string? Fold(char c)
    {
        if (c < 0x80)
        {
            return null;
        }

        if (c - HangulBase is >= 0 and < HangulCount)
        {
            return DecomposeHangul(c);
        }

        return Map.GetValueOrDefault(c);
    }

    private static string DecomposeHangul(char c)
    {
        // Unicode's algorithmic decomposition of precomposed Hangul syllables into jamo.
        var index = c - HangulBase;
        var lead = (char)(0x1100 + (index / 588));
        var vowel = (char)(0x1161 + (index % 588 / 28));
        var tail = index % 28;
        return tail == 0 ? string.Create(2, (lead, vowel), static (s, v) => (s[0], s[1]) = v) : string.Create(3, (lead, vowel, (char)(0x11A7 + tail)), static (s, v) => (s[0], s[1], s[2]) = v);
    }

    private static Dictionary<char, string> BuildMap()
    {
        var map = new Dictionary<char, string>(Table.Length);
        foreach (var (character, folded) in Table)
        {
            map[character] = folded;
        }

        return map;
    }
}
