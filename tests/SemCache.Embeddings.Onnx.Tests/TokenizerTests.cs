using System.Text;
using SemCache.Embeddings.Onnx.Tokenization;

namespace SemCache.Embeddings.Onnx.Tests;

public sealed class TokenizerTests
{
    private static readonly Lazy<byte[]> Vocabulary = new(() => ModelAssets.Load(null).Vocabulary);

    private static WordPieceTokenizer Create(TokenizerCompatibility compatibility = TokenizerCompatibility.ReferenceEncoder, int window = 256) =>
        new(Vocabulary.Value, lowerCase: true, compatibility, window);

    private static int[] Ids(WordPieceTokenizer tokenizer, string text, out bool truncated)
    {
        var ids = new int[tokenizer.MaxSequenceLength];
        var (count, cut) = tokenizer.Encode(text, ids);
        truncated = cut;
        return ids[..count];
    }

    [Fact]
    public void Text_is_framed_by_cls_and_sep()
    {
        var tokenizer = Create();

        var ids = Ids(tokenizer, "Hello, world!", out var truncated);

        Assert.False(truncated);
        Assert.Equal(tokenizer.ClsId, ids[0]);
        Assert.Equal(tokenizer.SepId, ids[^1]);
        Assert.Equal(6, ids.Length); // [CLS] hello , world ! [SEP]
    }

    [Fact]
    public void A_text_that_exactly_fills_the_window_is_not_truncated_and_one_more_word_is()
    {
        var tokenizer = Create(window: 10);

        var exact = Ids(tokenizer, "one two three four five six seven eight", out var exactCut);
        var longer = Ids(tokenizer, "one two three four five six seven eight nine", out var longerCut);

        Assert.Equal(10, exact.Length);
        Assert.False(exactCut);
        Assert.Equal(10, longer.Length);
        Assert.True(longerCut);
        Assert.Equal(tokenizer.SepId, longer[^1]);
    }

    [Fact]
    public void A_megabyte_without_spaces_is_one_unknown_word()
    {
        var tokenizer = Create();

        var ids = Ids(tokenizer, new string('x', 1 << 20), out var truncated);

        Assert.Equal([tokenizer.ClsId, tokenizer.UnknownId, tokenizer.SepId], ids);
        Assert.False(truncated);
    }

    [Fact]
    public void Backticks_and_curly_quotes_are_punctuation_tokens()
    {
        var tokenizer = Create();

        var ids = Ids(tokenizer, "`` Taunton Castle ''", out _);
        var spaced = Ids(tokenizer, "` ` taunton castle ' '", out _);

        Assert.Equal(spaced, ids);
        Assert.Equal(8, ids.Length); // [CLS] ` ` taunton castle ' ' [SEP]
        Assert.Equal(Ids(tokenizer, "you \u2019 ll", out _), Ids(tokenizer, "you\u2019ll", out _));
    }

    [Fact]
    public void Hugging_face_mode_strips_accents_and_reference_mode_does_not()
    {
        var huggingFace = Create(TokenizerCompatibility.HuggingFace);
        var reference = Create(TokenizerCompatibility.ReferenceEncoder);

        Assert.Equal(Ids(huggingFace, "tubarao", out _), Ids(huggingFace, "Tubarão", out _));
        Assert.Equal(Ids(huggingFace, "cacak", out _), Ids(huggingFace, "Čačak", out _));
        Assert.Equal([reference.ClsId, reference.UnknownId, reference.SepId], Ids(reference, "Čačak", out _));
    }

    [Fact]
    public void Unknown_short_words_and_unsplittable_words_follow_the_chosen_reference()
    {
        var huggingFace = Create(TokenizerCompatibility.HuggingFace);
        var reference = Create(TokenizerCompatibility.ReferenceEncoder);

        // "kp" is not a vocabulary word: Hugging Face splits it (k ##p), the package's encoder does not.
        Assert.Equal(4, Ids(huggingFace, "KP", out _).Length);
        Assert.Equal([reference.ClsId, reference.UnknownId, reference.SepId], Ids(reference, "KP", out _));
    }

    [Fact]
    public void Control_characters_are_dropped_and_do_not_split_words()
    {
        var tokenizer = Create();

        Assert.Equal(Ids(tokenizer, "password", out _), Ids(tokenizer, "pass\u0000word\u200B", out _));
        Assert.Equal([tokenizer.ClsId, tokenizer.SepId], Ids(tokenizer, "\u0001\uD800\uFFFD", out _));
    }

    [Fact]
    public void A_tokenizer_json_vocabulary_becomes_vocab_txt_lines_in_id_order()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"model":{"type":"WordPiece","vocab":{"b":2,"[PAD]":0,"a":1}}}""");

            var vocabulary = Encoding.UTF8.GetString(ModelAssets.VocabularyFromTokenizerJson(path));

            Assert.Equal("[PAD]\na\nb\n", vocabulary);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_tokenizer_json_that_is_not_wordpiece_is_rejected()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"model":{"type":"BPE","vocab":{"a":0}}}""");

            var error = Assert.Throws<ArgumentException>(() => ModelAssets.VocabularyFromTokenizerJson(path));

            Assert.Contains("BPE", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
