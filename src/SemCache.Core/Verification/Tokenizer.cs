using System.Globalization;
using System.Text;

namespace SemCache.Verification;

/// <summary>A word of a prompt with the shape facts the rules read.</summary>
internal sealed class Token
{
    public required int Start { get; init; }

    public required int Length { get; init; }

    /// <summary>Lower case, joiners kept (don't, gpt-4, 3.5).</summary>
    public required string Lower { get; init; }

    /// <summary>Lower-case letters and digits only (a dot kept between digits).</summary>
    public required string Folded { get; init; }

    /// <summary>FNV-1a of <see cref="Folded"/>: stable across processes.</summary>
    public required uint Hash { get; init; }

    /// <summary>Upper-case letters of a camel-case name, lower-cased (TypeScript: ts).</summary>
    public string Capitals { get; init; } = string.Empty;

    /// <summary>A run of a script written without spaces (Chinese, Japanese, Thai).</summary>
    public bool Unspaced { get; init; }

    public bool HasLetter { get; init; }

    public bool HasDigit { get; init; }

    public bool StartsWithDigit { get; init; }

    /// <summary>First letter upper case.</summary>
    public bool Capitalized { get; init; }

    /// <summary>Two or more letters, all upper case (NASA, HF).</summary>
    public bool AllCaps { get; init; }

    /// <summary>Upper case first, then a later upper case after lower case (PyTorch).</summary>
    public bool UpperCamel { get; init; }

    /// <summary>Lower case first, then upper case (getElementById, iPhone).</summary>
    public bool LowerCamel { get; init; }

    /// <summary>Looks like code: snake_case, a dotted name, a call, or lowerCamel.</summary>
    public bool IsCode { get; init; }

    /// <summary>First word of the text or of a sentence: capitalisation says nothing there.</summary>
    public bool SentenceStart { get; init; }
}

/// <summary>Splits a prompt into words; scripts written without spaces become one token per run.</summary>
internal static class Tokenizer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>(Math.Min(text.Length / 4 + 4, 4096));
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (IsUnspaced(c))
            {
                var end = i;
                while (end < text.Length && IsUnspaced(text[end]))
                {
                    end++;
                }

                tokens.Add(MakeUnspaced(text, i, end));
                i = end;
                continue;
            }

            if (!IsWordChar(c))
            {
                i++;
                continue;
            }

            var j = i + 1;
            while (j < text.Length)
            {
                var d = text[j];
                if (IsWordChar(d) && !IsUnspaced(d))
                {
                    j++;
                    continue;
                }

                if (j + 1 < text.Length && IsJoiner(text, j) && IsWordChar(text[j + 1]) && !IsUnspaced(text[j + 1]))
                {
                    j++;
                    continue;
                }

                break;
            }

            // C#, F#, C++: the symbol is part of the name.
            if (j < text.Length && j - i <= 2 && (text[j] == '#' || (text[j] == '+' && j + 1 < text.Length && text[j + 1] == '+')))
            {
                j += text[j] == '#' ? 1 : 2;
            }

            // The "s" of a possessive (France's) carries nothing and would break name matching.
            var possessive = j - i == 1 && (c == 's' || c == 'S') && i > 0 && text[i - 1] is '\'' or '’';
            if (!possessive)
            {
                tokens.Add(MakeWord(text, i, j));
            }

            i = j;
        }

        return tokens;
    }

    /// <summary>Folds a span the way tokens are folded (used for quoted strings).</summary>
    public static string FoldSpan(ReadOnlySpan<char> span)
    {
        var builder = new StringBuilder(span.Length);
        for (var k = 0; k < span.Length; k++)
        {
            AppendFolded(builder, span, k);
        }

        return builder.ToString();
    }

    public static bool IsUnspaced(char c) =>
        c is (>= '\u3040' and <= '\u30FF') or (>= '\u3400' and <= '\u4DBF') or (>= '\u4E00' and <= '\u9FFF')
            or (>= '\uF900' and <= '\uFAFF') or (>= '\uFF66' and <= '\uFF9F') or (>= '\u0E00' and <= '\u0EFF')
            or (>= '\u1000' and <= '\u109F') or (>= '\u1780' and <= '\u17FF');

    private static bool IsWordChar(char c)
    {
        if (char.IsLetterOrDigit(c))
        {
            return true;
        }

        var category = char.GetUnicodeCategory(c);
        return category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
    }

    private static bool IsJoiner(string text, int j)
    {
        var c = text[j];
        switch (c)
        {
            case '.' or '_' or '-':
                return j > 0 && IsWordChar(text[j - 1]);
            case ',':
                return j > 0 && char.IsDigit(text[j - 1]) && char.IsDigit(text[j + 1]);
            case '\'' or '’':
                // Only the English "n't" stays inside a word; other apostrophes split (France's,
                // l'homme), and a lone "s" after them is dropped as a possessive.
                return j > 0 && text[j - 1] == 'n' && text[j + 1] == 't' && (j + 2 >= text.Length || !IsWordChar(text[j + 2]));
            default:
                return false;
        }
    }

    private static Token MakeUnspaced(string text, int start, int end)
    {
        var run = text[start..end];
        return new Token
        {
            Start = start,
            Length = end - start,
            Lower = run,
            Folded = run,
            Hash = Fnv(run),
            Unspaced = true,
            HasLetter = true,
        };
    }

    private static Token MakeWord(string text, int start, int end)
    {
        var span = text.AsSpan(start, end - start);

        // Analysis runs once per lookup: the folded, lower-case and capital letters are built in
        // stack buffers and become strings once, and the lower-case form reuses the folded string
        // when they are the same (the common case of a plain word).
        var buffers = span.Length <= 128 ? stackalloc char[3 * span.Length] : new char[3 * span.Length];
        var folded = buffers[..span.Length];
        var lowered = buffers.Slice(span.Length, span.Length);
        var capitals = buffers[(2 * span.Length)..];
        int foldedLength = 0, capitalsLength = 0;
        bool hasLetter = false, hasDigit = false, hasLower = false, upperAfterLower = false, underscore = false;
        var letters = 0;
        var uppers = 0;
        var dottedParts = 1;
        var shortestPart = int.MaxValue;
        var partLength = 0;
        for (var k = 0; k < span.Length; k++)
        {
            var c = span[k];
            if (char.IsLetter(c))
            {
                hasLetter = true;
                letters++;
                partLength++;
                if (char.IsUpper(c))
                {
                    uppers++;
                    capitals[capitalsLength++] = char.ToLowerInvariant(c);
                    if (hasLower)
                    {
                        upperAfterLower = true;
                    }
                }
                else if (char.IsLower(c))
                {
                    hasLower = true;
                }
            }
            else if (char.IsDigit(c))
            {
                hasDigit = true;
                partLength++;
            }
            else if (c == '_')
            {
                underscore = true;
            }
            else if (c == '.')
            {
                dottedParts++;
                shortestPart = Math.Min(shortestPart, partLength);
                partLength = 0;
            }

            if (TryFold(span, k, out var foldedChar))
            {
                folded[foldedLength++] = foldedChar;
            }

            var digit = char.IsDigit(c) ? CharUnicodeInfo.GetDecimalDigitValue(c) : -1;
            lowered[k] = digit >= 0 ? (char)('0' + digit) : char.ToLowerInvariant(c);
        }

        shortestPart = Math.Min(shortestPart, partLength);
        var foldedText = new string(folded[..foldedLength]);
        var lower = lowered.SequenceEqual(folded[..foldedLength]) ? foldedText : new string(lowered);
        var first = span[0];
        var capitalized = char.IsUpper(first);
        var allCaps = letters >= 2 && uppers == letters;
        var upperCamel = capitalized && upperAfterLower && !allCaps;
        var lowerCamel = char.IsLower(first) && upperAfterLower;
        var dottedName = dottedParts >= 2 && hasLetter && !hasDigit && shortestPart >= 2;
        var call = end < text.Length && text[end] == '(';
        return new Token
        {
            Start = start,
            Length = end - start,
            Lower = lower,
            Folded = foldedText,
            Hash = Fnv(foldedText),

            // Only camel-case names use their capitals (as an acronym).
            Capitals = upperAfterLower ? new string(capitals[..capitalsLength]) : string.Empty,
            HasLetter = hasLetter,
            HasDigit = hasDigit,
            StartsWithDigit = char.IsDigit(first),
            Capitalized = capitalized,
            AllCaps = allCaps,
            UpperCamel = upperCamel,
            LowerCamel = lowerCamel,
            IsCode = hasLetter && (underscore || dottedName || lowerCamel || (call && letters > 1)),
            SentenceStart = IsSentenceStart(text, start),
        };
    }

    private static void AppendFolded(StringBuilder folded, ReadOnlySpan<char> span, int k)
    {
        if (TryFold(span, k, out var c))
        {
            folded.Append(c);
        }
    }

    /// <summary>The folded form of <c>span[k]</c>, or false when folding drops it.</summary>
    private static bool TryFold(ReadOnlySpan<char> span, int k, out char folded)
    {
        var c = span[k];
        if (char.IsLetter(c))
        {
            folded = char.ToLowerInvariant(c);
            return true;
        }

        if (char.IsDigit(c))
        {
            var digit = CharUnicodeInfo.GetDecimalDigitValue(c);
            folded = digit >= 0 ? (char)('0' + digit) : c;
            return true;
        }

        folded = c;
        return (c == '.' && k > 0 && k + 1 < span.Length && char.IsDigit(span[k - 1]) && char.IsDigit(span[k + 1]))
            || c is '#' or '+'
            || char.GetUnicodeCategory(c) == UnicodeCategory.SpacingCombiningMark;
    }

    private static bool IsSentenceStart(string text, int start)
    {
        for (var k = start - 1; k >= 0; k--)
        {
            var c = text[k];
            if (c == '\n')
            {
                return true;
            }

            if (char.IsWhiteSpace(c) || c is '"' or '\'' or '“' or '”' or '‘' or '’' or '«' or '»' or '(' or '[' or '{' or '`' or '*' or '-' or '¿' or '¡')
            {
                continue;
            }

            return c is '.' or '!' or '?' or ':' or '。' or '！' or '？' or '…' or ';';
        }

        return true;
    }

    private static uint Fnv(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return hash;
    }
}
