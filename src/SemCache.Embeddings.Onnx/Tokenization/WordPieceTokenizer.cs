using System.Buffers;
using System.Globalization;
using System.Text;

namespace SemCache.Embeddings.Onnx.Tokenization;

/// <summary>
/// BERT tokenisation (basic tokenizer + greedy longest-match WordPiece) straight into a token
/// window: [CLS], at most <c>window - 2</c> tokens, [SEP]. It reads the text only until the window
/// is full, so a megabyte of input costs no more than a sentence. Lone surrogates, NUL, U+FFFD and
/// other control or format characters are dropped, as the BERT basic tokenizer does.
/// </summary>
internal sealed class WordPieceTokenizer
{
    // The BERT reference gives up on words longer than this and emits [UNK].
    private const int MaxWordChars = 100;

    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _starts;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuations;
    private readonly bool _lowerCase;
    private readonly bool _huggingFace;
    private readonly int _maxContentTokens;

    public WordPieceTokenizer(byte[] vocabulary, bool lowerCase, TokenizerCompatibility compatibility, int maxSequenceLength)
    {
        var starts = new Dictionary<string, int>(StringComparer.Ordinal);
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var reader = new StreamReader(new MemoryStream(vocabulary, writable: false), Encoding.UTF8))
        {
            var id = 0;
            for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine(), id++)
            {
                var token = line.TrimEnd('\r');
                if (token.StartsWith("##", StringComparison.Ordinal) && token.Length > 2)
                {
                    continuations.TryAdd(token[2..], id);
                }
                else
                {
                    starts.TryAdd(token, id);
                }
            }
        }

        ClsId = Special(starts, "[CLS]");
        SepId = Special(starts, "[SEP]");
        UnknownId = Special(starts, "[UNK]");

        // BERT vocabularies put [PAD] at id 0; one without a [PAD] token pads with 0 as well.
        PadId = starts.TryGetValue("[PAD]", out var pad) ? pad : 0;
        _starts = starts.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuations = continuations.GetAlternateLookup<ReadOnlySpan<char>>();
        _lowerCase = lowerCase;
        _huggingFace = compatibility == TokenizerCompatibility.HuggingFace;
        _maxContentTokens = maxSequenceLength - 2;
        MaxSequenceLength = maxSequenceLength;
    }

    public int MaxSequenceLength { get; }

    public int ClsId { get; }

    public int SepId { get; }

    public int UnknownId { get; }

    /// <summary>Id that fills the positions after a shorter input in a padded batch.</summary>
    public int PadId { get; }

    /// <summary>Tokenises <paramref name="text"/> into <paramref name="ids"/> (at least <see cref="MaxSequenceLength"/> long).</summary>
    /// <returns>The token count (special tokens included) and whether the text was cut to the window.</returns>
    public (int Count, bool Truncated) Encode(string text, Span<int> ids)
    {
        var state = new State(ids, _maxContentTokens);
        state.Ids[state.Count++] = ClsId;
        Span<char> word = stackalloc char[MaxWordChars + 8];
        Span<char> folded = stackalloc char[4];
        var length = 0;
        var i = 0;
        while (i < text.Length && !state.Full)
        {
            if (Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var consumed) != OperationStatus.Done)
            {
                i += Math.Max(consumed, 1);
                continue;
            }

            i += consumed;
            var value = rune.Value;
            if (IsWhitespace(rune))
            {
                FlushWord(word, ref length, ref state);
                continue;
            }

            if (value == 0 || value == 0xFFFD || IsControl(rune))
            {
                continue;
            }

            if (IsCjk(value) || IsPunctuation(rune))
            {
                FlushWord(word, ref length, ref state);
                var written = rune.EncodeToUtf16(folded);
                EmitWord(folded[..written], ref state);
                continue;
            }

            AppendFolded(rune, word, ref length, folded);
        }

        FlushWord(word, ref length, ref state);
        state.Ids[state.Count++] = SepId;
        return (state.Count, state.Truncated);
    }

    private void AppendFolded(Rune rune, Span<char> word, ref int length, Span<char> scratch)
    {
        if (_lowerCase)
        {
            rune = Rune.ToLowerInvariant(rune);
        }

        var written = rune.EncodeToUtf16(scratch);
        for (var k = 0; k < written; k++)
        {
            var c = scratch[k];
            if (_huggingFace && _lowerCase)
            {
                // Accent stripping: decompose, then drop the non-spacing marks.
                if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.NonSpacingMark)
                {
                    continue;
                }

                if (AccentFolding.Fold(c) is { } replacement)
                {
                    foreach (var r in replacement)
                    {
                        Append(word, ref length, r);
                    }

                    continue;
                }
            }

            Append(word, ref length, c);
        }
    }

    private static void Append(Span<char> word, ref int length, char c)
    {
        // Past MaxWordChars the word becomes [UNK] anyway; only its length matters from there on.
        if (length < word.Length)
        {
            word[length] = c;
        }

        length++;
    }

    private void FlushWord(scoped Span<char> word, ref int length, ref State state)
    {
        if (length == 0)
        {
            return;
        }

        if (length > MaxWordChars)
        {
            state.Add(UnknownId);
        }
        else
        {
            EmitWord(word[..length], ref state);
        }

        length = 0;
    }

    /// <summary>Greedy longest-match-first WordPiece of one word.</summary>
    private void EmitWord(scoped ReadOnlySpan<char> word, ref State state)
    {
        if (_starts.TryGetValue(word, out var whole))
        {
            state.Add(whole);
            return;
        }

        if (!_huggingFace && word.Length <= 2)
        {
            // The package's reference encoder splits only words of three or more characters.
            state.Add(UnknownId);
            return;
        }

        var mark = state.Count;
        var start = 0;
        while (start < word.Length)
        {
            var found = -1;
            var end = word.Length;
            for (; end > start; end--)
            {
                var piece = word[start..end];
                if (start == 0 ? _starts.TryGetValue(piece, out found) : _continuations.TryGetValue(piece, out found))
                {
                    break;
                }
            }

            if (end == start)
            {
                if (_huggingFace)
                {
                    // The Hugging Face tokenizer replaces the whole word by [UNK].
                    state.Rewind(mark);
                }

                // The package's reference encoder keeps the pieces matched so far and ends the word with [UNK].
                state.Add(UnknownId);
                return;
            }

            state.Add(found);
            if (state.Full)
            {
                return;
            }

            start = end;
        }
    }

    private static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    private static bool IsControl(Rune rune) => Rune.GetUnicodeCategory(rune) is
        UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned
        or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;

    private static bool IsPunctuation(Rune rune)
    {
        var v = rune.Value;

        // ASCII symbols count as punctuation for BERT even where Unicode calls them symbols ($, +, ^, `).
        if (v is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static bool IsCjk(int v) =>
        v is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    private static int Special(Dictionary<string, int> vocabulary, string token) =>
        vocabulary.TryGetValue(token, out var id) ? id : throw new ArgumentException($"The vocabulary has no {token} token.", nameof(vocabulary));

    /// <summary>The window being filled; stops (and marks truncation) when one more token would not fit.</summary>
    private ref struct State(Span<int> ids, int maxContent)
    {
        public Span<int> Ids = ids;
        public int Count;
        public bool Truncated;
        public bool Full;
        private readonly int _limit = maxContent + 1;

        public void Add(int id)
        {
            if (Count >= _limit)
            {
                Truncated = true;
                Full = true;
                return;
            }

            Ids[Count++] = id;
        }

        public void Rewind(int mark) => Count = mark;
    }
}
