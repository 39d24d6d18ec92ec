using SemCache.Embeddings.Onnx.Tokenization;

namespace SemCache.Embeddings.Onnx.CrossEncoding;

/// <summary>
/// BERT sentence-pair encoding, <c>[CLS] first [SEP] second [SEP]</c>, with the first segment's
/// positions typed 0 and the second's typed 1, cut longest-first to the window.
/// Holds no per-call state, so one instance serves concurrent callers.
/// </summary>
internal sealed class PairEncoder
{
    private readonly WordPieceTokenizer _tokenizer;

    public PairEncoder(WordPieceTokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        Window = tokenizer.MaxSequenceLength;
    }

    /// <summary>Most positions of one pair, special tokens included.</summary>
    public int Window { get; }

    public int PadId => _tokenizer.PadId;

    /// <summary>
    /// Writes the word pieces of <paramref name="text"/>, without special tokens, to the start of
    /// <paramref name="scratch"/> (at least <see cref="Window"/> long) and returns how many. The
    /// tokenizer stops at <c>Window - 2</c> pieces, which is more than a pair can ever keep of one text.
    /// </summary>
    public int Pieces(string text, Span<int> scratch)
    {
        var (count, _) = _tokenizer.Encode(text, scratch);

        // Drop the [CLS] the tokenizer puts first; its closing [SEP] is simply not counted.
        var pieces = count - 2;
        scratch.Slice(1, pieces).CopyTo(scratch);
        return pieces;
    }

    /// <summary>
    /// How many pieces of each text a pair keeps so that both plus three special tokens fit in
    /// <paramref name="window"/>, as the Hugging Face fast tokenizer's <c>longest_first</c> cuts a pair
    /// (what sentence-transformers feeds its cross-encoders): the shorter text stays whole when it
    /// needs at most half the room and the longer takes the rest; otherwise each keeps half, and the
    /// odd piece goes to the longer text (the second on a tie). Pieces are always cut from the end.
    /// </summary>
    public static (int First, int Second) Truncate(int first, int second, int window)
    {
        var room = window - 3;
        if (first + second <= room)
        {
            return (first, second);
        }

        var shorter = Math.Min(first, second);
        var (keepShorter, keepLonger) = 2 * shorter > room
            ? (room / 2, (room / 2) + (room % 2))
            : (shorter, room - shorter);
        return first > second ? (keepLonger, keepShorter) : (keepShorter, keepLonger);
    }

    /// <summary>
    /// Writes one encoded pair of <paramref name="first"/> and <paramref name="second"/> (already
    /// truncated) into rows of a batch at least <c>first.Length + second.Length + 3</c> long.
    /// Positions after it are left as they are (the caller fills them with padding).
    /// </summary>
    /// <returns>The pair's length in positions.</returns>
    public int Write(ReadOnlySpan<int> first, ReadOnlySpan<int> second, Span<int> ids, Span<int> mask, Span<int> types)
    {
        var at = 0;
        ids[at++] = _tokenizer.ClsId;
        first.CopyTo(ids[at..]);
        at += first.Length;
        ids[at++] = _tokenizer.SepId;
        var secondStart = at;
        second.CopyTo(ids[at..]);
        at += second.Length;
        ids[at++] = _tokenizer.SepId;

        mask[..at].Fill(1);
        types[..secondStart].Clear();
        types[secondStart..at].Fill(1);
        return at;
    }
}
