using Microsoft.Extensions.Logging.Abstractions;
using static SemCache.Embeddings.Onnx.Tests.CrossEncoderTestModels;

namespace SemCache.Embeddings.Onnx.Tests;

/// <summary>
/// Scores from test models whose logit is a linear function of what was fed, so each score
/// reveals the exact pair encoding (segment lengths, token types, ids, padding, truncation).
/// </summary>
public sealed class CrossEncoderScoringTests
{
    // Scores are float sigmoids of exactly representable logits; 1e-5 leaves room only for rounding.
    private const float Tolerance = 1e-5f;

    private const string Query = "what is a cat?"; // what is a cat ? → 5 pieces

    private static float Expected(int sum, float scale = Scale, float bias = Bias) =>
        (float)(1.0 / (1.0 + Math.Exp(-(double)((sum * scale) + bias))));

    private static OnnxCrossEncoder Create(string folder, int maxSequenceLength = 256, int maxBatchSize = 16) =>
        OnnxCrossEncoder.Create(new OnnxCrossEncoderOptions
        {
            ModelDirectory = folder,
            Provider = OnnxExecutionProvider.Cpu,
            MaxSequenceLength = maxSequenceLength,
            MaxBatchSize = maxBatchSize,
        });

    private static string Repeat(string text, int times) => string.Join(' ', Enumerable.Repeat(text, times));

    private static void AssertScores(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"score {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public async Task The_second_segment_is_the_candidate_plus_its_sep_across_padded_batches()
    {
        var folder = WriteFolder(SummedInput.SecondSegment);
        try
        {
            // Window 32 leaves 29 pieces for both texts; the 200-piece candidate keeps 29 - 5 = 24.
            using var encoder = Create(folder, maxSequenceLength: 32, maxBatchSize: 3);
            string[] candidates =
            [
                "the cat",                  // 2 pieces
                "cats sat on the mat",      // cat ##s sat on the mat: 6
                "?",                        // 1
                string.Empty,               // 0
                "the dog is unable to fly", // the dog is un ##able to fly: 7
                "The CAT",                  // lower-cased: 2
                Repeat("the cat", 100),     // 200, truncated to 24
            ];
            int[] pieces = [2, 6, 1, 0, 7, 2, 24];

            var scores = await encoder.ScoreAsync(Query, candidates);

            AssertScores(pieces.Select(n => Expected(n + 1)).ToArray(), scores);
        }
        finally
        {
            Delete(folder);
        }
    }

    [Theory]
    [InlineData(20, 20, 8)] // both long: 13 pieces fit, 6 + 7, the odd one to the second text on a tie
    [InlineData(20, 3, 4)]  // long query: the query is cut to 10, the candidate keeps its 3
    [InlineData(3, 20, 11)] // long candidate: cut to 13 - 3 = 10
    [InlineData(4, 4, 5)]   // fits: nothing cut
    public async Task A_pair_longer_than_the_window_loses_pieces_from_the_longer_text_first(int queryPieces, int candidatePieces, int secondSegment)
    {
        var folder = WriteFolder(SummedInput.SecondSegment);
        try
        {
            using var encoder = Create(folder, maxSequenceLength: 16);

            var scores = await encoder.ScoreAsync(Repeat("cat", queryPieces), [Repeat("dog", candidatePieces)]);

            AssertScores([Expected(secondSegment)], scores);
        }
        finally
        {
            Delete(folder);
        }
    }

    // Expected values worked out with the Hugging Face fast tokenizer's longest_first rule.
    [Theory]
    [InlineData(5, 5, 12, 4, 5)]
    [InlineData(5, 6, 12, 4, 5)]
    [InlineData(6, 5, 12, 5, 4)]
    [InlineData(9, 2, 12, 7, 2)]
    [InlineData(2, 9, 12, 2, 7)]
    [InlineData(7, 7, 13, 5, 5)]
    [InlineData(20, 30, 16, 6, 7)]
    [InlineData(300, 300, 512, 254, 255)]
    [InlineData(0, 600, 512, 0, 509)]
    [InlineData(4, 4, 12, 4, 4)]
    public void Longest_first_truncation_keeps_the_shorter_text_whole_while_it_needs_at_most_half(int first, int second, int window, int keptFirst, int keptSecond)
    {
        Assert.Equal((keptFirst, keptSecond), CrossEncoding.PairEncoder.Truncate(first, second, window));
    }

    [Fact]
    public void Longest_first_truncation_fills_the_window_exactly_and_never_grows_a_text()
    {
        for (var first = 0; first <= 40; first++)
        {
            for (var second = 0; second <= 40; second++)
            {
                var (a, b) = CrossEncoding.PairEncoder.Truncate(first, second, 20);

                Assert.InRange(a, 0, first);
                Assert.InRange(b, 0, second);
                Assert.Equal(Math.Min(first + second, 17), a + b);
            }
        }
    }

    [Fact]
    public async Task Token_ids_are_cls_query_sep_candidate_sep_then_the_vocabulary_pad_id()
    {
        var folder = WriteFolder(SummedInput.TokenIds);
        try
        {
            using var encoder = Create(folder);
            var query = Id("[CLS]") + Id("what") + Id("is") + Id("a") + Id("cat") + Id("?") + Id("[SEP]");
            var shortPair = query + Id("the") + Id("cat") + Id("[SEP]");                  // 10 positions
            var longPair = query + Id("the") + Id("dog") + Id("sat") + Id("on") + Id("the") + Id("mat") + Id("[SEP]"); // 14

            var scores = await encoder.ScoreAsync(Query, ["the cat", "the dog sat on the mat"]);

            // The short pair is padded to the long one's 14 positions with [PAD] (id 3, not 0).
            AssertScores([Expected(shortPair + (4 * Id("[PAD]")), IdScale, IdBias), Expected(longPair, IdScale, IdBias)], scores);
        }
        finally
        {
            Delete(folder);
        }
    }

    [Fact]
    public async Task A_two_class_output_gives_the_softmax_probability_of_class_one()
    {
        var folder = WriteFolder(SummedInput.SecondSegment, OutputForm.TwoClass);
        try
        {
            using var encoder = Create(folder, maxBatchSize: 2);

            var scores = await encoder.ScoreAsync(Query, ["the cat", "the dog is unable to fly", string.Empty]);

            // softmax([0, x])[1] = sigmoid(x): the same probabilities as the one-logit model.
            AssertScores([Expected(3), Expected(8), Expected(1)], scores);
        }
        finally
        {
            Delete(folder);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_model_without_token_types_and_a_vector_output_scores_the_whole_pair(bool int32Inputs)
    {
        var folder = WriteFolder(SummedInput.PairLength, OutputForm.Vector, tokenTypes: false, int32Inputs: int32Inputs);
        try
        {
            using var encoder = Create(folder);

            var scores = await encoder.ScoreAsync(Query, ["the cat", "cats sat on the mat"]);

            // [CLS] + 5 query pieces + [SEP] + candidate + [SEP].
            AssertScores([Expected(5 + 2 + 3), Expected(5 + 6 + 3)], scores);
        }
        finally
        {
            Delete(folder);
        }
    }

    [Fact]
    public async Task A_model_with_a_fixed_batch_of_one_and_a_fixed_length_gets_one_padded_pair_per_pass()
    {
        var folder = WriteFolder(SummedInput.PairLength, fixedBatch: 1, fixedSequence: 24);
        try
        {
            // The model's 24 positions win over the larger configured window.
            using var encoder = Create(folder, maxSequenceLength: 256, maxBatchSize: 16);

            var scores = await encoder.ScoreAsync(Query, ["the cat", Repeat("dog", 50), "?"]);

            AssertScores([Expected(10), Expected(24), Expected(9)], scores);
        }
        finally
        {
            Delete(folder);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_output_that_is_not_a_score_fails_at_load_naming_the_shape(bool declared)
    {
        // Declared: the model's metadata shows [N,3]; undeclared: only the warm-up run reveals it.
        var folder = WriteFolder(SummedInput.SecondSegment, declared ? OutputForm.ThreeClass : OutputForm.ThreeClassUndeclared);
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => Create(folder));

            Assert.Contains("'logits'", error.Message, StringComparison.Ordinal);
            Assert.Contains(",3]", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Delete(folder);
        }
    }

    [Fact]
    public void A_run_output_of_the_wrong_shape_is_an_error_naming_it()
    {
        var scores = new float[2];

        var error = Assert.Throws<InvalidOperationException>(() =>
            CrossEncoding.ScoreHead.ToProbabilities("out", [2, 3], new float[6], 2, scores));
        var wrongRows = Assert.Throws<InvalidOperationException>(() =>
            CrossEncoding.ScoreHead.ToProbabilities("out", [3, 1], new float[3], 2, scores));

        Assert.Contains("'out' has shape [2,3] for 2 pairs", error.Message, StringComparison.Ordinal);
        Assert.Contains("[3,1] for 2 pairs", wrongRows.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_calls_get_the_same_scores_as_one_call()
    {
        var folder = WriteFolder(SummedInput.SecondSegment);
        try
        {
            using var encoder = Create(folder, maxBatchSize: 2);
            string[] candidates = ["the cat", "cats sat on the mat", "?", "the dog is unable to fly", "a"];
            var alone = await encoder.ScoreAsync(Query, candidates);

            var together = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () => await encoder.ScoreAsync(Query, candidates))));

            Assert.All(together, scores => Assert.Equal(alone, scores));
            AssertScores([Expected(3), Expected(7), Expected(2), Expected(8), Expected(2)], alone);
        }
        finally
        {
            Delete(folder);
        }
    }

    [Fact]
    public void Cuda_required_but_absent_fails_naming_the_cross_encoder_option()
    {
        var folder = WriteFolder(SummedInput.SecondSegment);
        try
        {
            var options = new OnnxCrossEncoderOptions { ModelDirectory = folder, Provider = OnnxExecutionProvider.Cuda };

            var error = Assert.Throws<InvalidOperationException>(() => OnnxCrossEncoder.Create(options, new NoCuda(), NullLogger.Instance));

            Assert.Contains("OnnxCrossEncoderOptions.Provider", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Delete(folder);
        }
    }

    private sealed class NoCuda : ICudaProbe
    {
        public bool IsCudaAvailable(out string reason)
        {
            reason = "simulated: no NVIDIA driver";
            return false;
        }
    }
}
