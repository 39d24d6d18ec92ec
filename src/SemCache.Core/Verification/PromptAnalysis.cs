namespace SemCache.Verification;

/// <summary>A number found in a prompt: its value, its unit (0 when none) and its digits as written.</summary>
internal readonly record struct NumberFact(double Value, byte Unit, string Digits);

/// <summary>
/// A named entity of a prompt: its folded spelling and the acronyms it may stand behind
/// ("hugging" in "Hugging Face" also matches a prompt that writes "HF").
/// </summary>
internal readonly record struct EntityTerm(string Folded, string[] Acronyms);

/// <summary>
/// Everything the verifier rules need from one prompt, computed once per text. The engine keeps
/// the analysis of each stored entry next to it and analyses the query once per lookup, so that
/// <see cref="PromptVerifier.Verify"/> only compares small sorted arrays and searches short strings.
/// </summary>
internal sealed partial class PromptAnalysis
{
    /// <summary>The analysis of an empty prompt.</summary>
    internal static readonly PromptAnalysis Empty = Analyze(string.Empty);

    private PromptAnalysis()
    {
    }

    /// <summary>
    /// Lower-case letters and digits of every token, concatenated without separators (a dot stays
    /// between digits so that 3.11 and 311 differ). Whole-token searches use <see cref="TokenStarts"/>.
    /// </summary>
    internal string Folded { get; private set; } = string.Empty;

    /// <summary>Bit set over <see cref="Folded"/>: bit i is set where a token starts, and at the end.</summary>
    internal ulong[] TokenStarts { get; private set; } = [];

    /// <summary>Numbers and quantities, sorted by value.</summary>
    internal NumberFact[] Numbers { get; private set; } = [];

    /// <summary>Month, weekday and relative-day ids, sorted and distinct.</summary>
    internal byte[] Dates { get; private set; } = [];

    /// <summary>Negation markers counted.</summary>
    internal int Negations { get; private set; }

    /// <summary>Named entities.</summary>
    internal EntityTerm[] Entities { get; private set; } = [];

    /// <summary>Acronyms this prompt spells out (initials of capitalised runs and of camel-case names).</summary>
    internal string[] Acronyms { get; private set; } = [];

    /// <summary>Folded contents of quoted strings.</summary>
    internal string[] Quoted { get; private set; } = [];

    /// <summary>
    /// Per quoted string (same order as <see cref="Quoted"/>): its folded content words, function
    /// words left out, so a reworded quote ("the inner strength" / "inner strength") is still found.
    /// </summary>
    internal string[][] QuotedWords { get; private set; } = [];

    /// <summary>Folded code identifiers.</summary>
    internal string[] Codes { get; private set; } = [];

    /// <summary>Folded version strings and names with numbers.</summary>
    internal string[] Versions { get; private set; } = [];

    /// <summary>What the prompt's first direct question asks for (<see cref="QuestionKind"/>); 0 when none is recognised.</summary>
    internal byte Question { get; private set; }

    /// <summary>Antonym sides (pair id * 2 + side), sorted and distinct.</summary>
    internal ushort[] Antonyms { get; private set; } = [];

    /// <summary>Hashes of the tokens that occur once, in text order.</summary>
    internal uint[] OrderHashes { get; private set; } = [];

    /// <summary>Per order token: hash of the token before it (any token; 0 at the start).</summary>
    internal uint[] OrderPrevious { get; private set; } = [];

    /// <summary>Per order token: hash of the token after it (any token; 1 at the end).</summary>
    internal uint[] OrderNext { get; private set; } = [];

    /// <summary>Per order token: index of its sentence.</summary>
    internal ushort[] OrderSentences { get; private set; } = [];

    /// <summary>Per order token: <see cref="OrderFlag"/> bits.</summary>
    internal byte[] OrderFlags { get; private set; } = [];

    /// <summary><see cref="OrderHashes"/> sorted, for binary search from the other prompt.</summary>
    internal uint[] SortedOrderHashes { get; private set; } = [];

    /// <summary>Position in <see cref="OrderHashes"/> of each entry of <see cref="SortedOrderHashes"/>.</summary>
    internal ushort[] SortedOrderPositions { get; private set; } = [];

    /// <summary>
    /// What a question asks for, from its opening interrogative. Only kinds whose answers cannot
    /// stand in for each other are told apart: "what" and "which" (and yes/no questions) are left
    /// unclassified, because "What is the way to ..." and "How do I ..." ask the same thing.
    /// </summary>
    internal static class QuestionKind
    {
        internal const byte None = 0;
        internal const byte Reason = 1;
        internal const byte Time = 2;
        internal const byte Place = 3;
        internal const byte Person = 4;
        internal const byte Amount = 5;
        internal const byte Duration = 6;
        internal const byte Manner = 7;
    }

    /// <summary>Flags of an order token.</summary>
    internal static class OrderFlag
    {
        /// <summary>A function word: never one of the swapped arguments.</summary>
        internal const byte Function = 1;

        /// <summary>A coordinating conjunction: arguments swapped around it keep their meaning.</summary>
        internal const byte Coordinator = 2;

        /// <summary>A function word that can still be the relation between swapped arguments (a preposition).</summary>
        internal const byte Relation = 4;

        /// <summary>A word that occurs more than once (its hash includes its occurrence and count).</summary>
        internal const byte Repeated = 8;
    }

    /// <summary>
    /// True when <paramref name="folded"/> occurs in <see cref="Folded"/> starting and ending on
    /// token boundaries (it may span several tokens: "newyork" matches "New York").
    /// </summary>
    internal bool ContainsWhole(string folded)
    {
        if (folded.Length == 0)
        {
            return true;
        }

        var text = Folded.AsSpan();
        var from = 0;
        while (from <= text.Length - folded.Length)
        {
            var at = text[from..].IndexOf(folded.AsSpan(), StringComparison.Ordinal);
            if (at < 0)
            {
                return false;
            }

            var start = from + at;
            var end = start + folded.Length;

            // A name glued to a number still ends there: "python" is found in "python3".
            if (IsTokenStart(start) && (IsTokenStart(end) || (char.IsAsciiDigit(text[end]) && !char.IsAsciiDigit(text[end - 1]))))
            {
                return true;
            }

            from = start + 1;
        }

        return false;
    }

    /// <summary>
    /// True when the digits occur in <see cref="Folded"/> with no digit right before or after them
    /// ("3" is found in "python3" but not in "30").
    /// </summary>
    internal bool ContainsDigits(string digits)
    {
        if (digits.Length == 0)
        {
            return false;
        }

        var text = Folded.AsSpan();
        var from = 0;
        while (from <= text.Length - digits.Length)
        {
            var at = text[from..].IndexOf(digits.AsSpan(), StringComparison.Ordinal);
            if (at < 0)
            {
                return false;
            }

            var start = from + at;
            var end = start + digits.Length;
            if ((start == 0 || !char.IsAsciiDigit(text[start - 1])) && (end == text.Length || !char.IsAsciiDigit(text[end])))
            {
                return true;
            }

            from = start + 1;
        }

        return false;
    }

    /// <summary>True when this prompt spells out <paramref name="acronym"/>.</summary>
    internal bool HasAcronym(string acronym)
    {
        foreach (var candidate in Acronyms)
        {
            if (string.Equals(candidate, acronym, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private bool IsTokenStart(int position) =>
        position >= Folded.Length || (TokenStarts[position >> 6] & (1UL << (position & 63))) != 0;
}
