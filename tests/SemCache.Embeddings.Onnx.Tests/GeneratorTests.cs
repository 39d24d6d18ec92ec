using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace SemCache.Embeddings.Onnx.Tests;

[Collection(EmbedderCollection.Name)]
public sealed class GeneratorTests(EmbedderFixture fixture)
{
    private IOnnxEmbeddingGenerator Generator => fixture.Generator;

    [Fact]
    public async Task Null_values_throw_ArgumentNullException()
    {
        await Assert.ThrowsAsync<ArgumentNullException>(() => Generator.GenerateAsync(null!));
        await Assert.ThrowsAsync<ArgumentNullException>(() => Generator.GenerateAsync(["fine", null!]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\r\n")]
    public async Task Empty_or_whitespace_text_throws_a_clear_ArgumentException(string text)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Generator.GenerateAsync([text]));

        Assert.Contains("empty or whitespace", error.Message, StringComparison.Ordinal);
        Assert.Equal("values", error.ParamName);
    }

    [Theory]
    [InlineData("lone high \uD800 surrogate")]
    [InlineData("lone low \uDC00 surrogate")]
    [InlineData("\uDBFF")]
    [InlineData("control \u0000\u0001\u0007\u001B[31m characters \u200B\uFFFD")]
    [InlineData("\u0001\u0002")]
    [InlineData("emoji 😀 and CJK 日本語 and RTL مرحبا")]
    public async Task Odd_characters_give_a_unit_vector_instead_of_a_crash(string text)
    {
        var embedding = (await Generator.GenerateAsync([text]))[0];

        Assert.Equal(384, embedding.Vector.Length);
        Assert.Equal(1f, TensorPrimitives.Norm(embedding.Vector.Span), 3);
    }

    [Fact]
    public async Task A_one_megabyte_text_is_truncated_to_the_window_and_flagged()
    {
        var text = string.Concat(Enumerable.Repeat("semantic caches answer repeated questions quickly ", 21_000));
        Assert.True(text.Length > 1_000_000);

        var embedding = (await Generator.GenerateAsync([text]))[0];

        Assert.Equal(true, embedding.AdditionalProperties?["truncated"]);
        Assert.Equal(256, embedding.AdditionalProperties?["tokens"]);
        Assert.Equal(1f, TensorPrimitives.Norm(embedding.Vector.Span), 3);
    }

    [Fact]
    public async Task A_short_text_is_not_flagged_as_truncated()
    {
        var embedding = (await Generator.GenerateAsync(["How do I reset my password?"]))[0];

        Assert.Null(embedding.AdditionalProperties);
        Assert.Equal("all-MiniLM-L6-v2", embedding.ModelId);
    }

    [Fact]
    public async Task A_text_embeds_the_same_alone_and_padded_in_a_batch()
    {
        const string Short = "Flights from New York to Florida";
        var alone = (await Generator.GenerateAsync([Short]))[0].Vector.ToArray();
        var texts = new List<string> { Short };
        texts.AddRange(TestData.PawsSentences(40));
        var batch = new float[texts.Count * 384];

        Generator.EmbedBatch(texts, batch);

        Assert.True(TensorPrimitives.CosineSimilarity(alone, batch.AsSpan(0, 384)) > 0.99999f);
    }

    [Fact]
    public async Task Paraphrases_are_closer_than_unrelated_sentences()
    {
        var result = await Generator.GenerateAsync(["How do I reset my password?", "What are the steps to change my password?", "The river flows into the Danube in Romania."]);

        var paraphrase = TensorPrimitives.Dot(result[0].Vector.Span, result[1].Vector.Span);
        var unrelated = TensorPrimitives.Dot(result[0].Vector.Span, result[2].Vector.Span);
        Assert.True(paraphrase > unrelated + 0.3f, $"paraphrase {paraphrase}, unrelated {unrelated}");
        Assert.Equal(result[0].Vector.Length * 3, result.Sum(e => e.Vector.Length));
        Assert.True(result.Usage?.InputTokenCount > 10);
    }

    [Fact]
    public async Task Requested_dimensions_other_than_the_models_are_rejected()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => Generator.GenerateAsync(["text"], new EmbeddingGenerationOptions { Dimensions = 768 }));

        Assert.Contains("Dimensions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_callers_are_served_in_shared_batches_with_their_own_vectors()
    {
        var sentences = TestData.PawsSentences(48);
        var expected = new float[sentences.Count * 384];
        Generator.EmbedBatch(sentences, expected);
        var before = Generator.GetStats();

        var results = await Task.WhenAll(sentences.Select(s => Task.Run(() => Generator.GenerateAsync([s]))));

        var after = Generator.GetStats();
        for (var i = 0; i < sentences.Count; i++)
        {
            Assert.True(TensorPrimitives.CosineSimilarity(results[i][0].Vector.Span, expected.AsSpan(i * 384, 384)) > 0.9999f);
        }

        Assert.True(after.Batches - before.Batches < sentences.Count, "48 concurrent callers never shared a batch");
    }

    [Fact]
    public void Groups_run_in_parallel_lanes_give_the_same_vectors_as_one_lane()
    {
        var sentences = TestData.PawsSentences(40);
        using var oneLane = OnnxEmbedder.Create(new OnnxEmbedderOptions { Provider = OnnxExecutionProvider.Cpu, ParallelRuns = 1 });
        using var threeLanes = OnnxEmbedder.Create(new OnnxEmbedderOptions { Provider = OnnxExecutionProvider.Cpu, ParallelRuns = 3 });
        var expected = new float[40 * 384];
        var actual = new float[40 * 384];

        oneLane.EmbedBatch(sentences, expected);
        threeLanes.EmbedBatch(sentences, actual);

        for (var i = 0; i < 40; i++)
        {
            Assert.True(TensorPrimitives.CosineSimilarity(expected.AsSpan(i * 384, 384), actual.AsSpan(i * 384, 384)) > 0.99999f, $"sentence {i}");
        }
    }

    [Fact]
    public void Metadata_and_stats_report_the_cpu_provider()
    {
        var metadata = Generator.GetService<EmbeddingGeneratorMetadata>();
        var stats = Generator.GetService<OnnxEmbedderStats>();

        Assert.Equal("onnxruntime-cpu", metadata?.ProviderName);
        Assert.Equal(384, metadata?.DefaultModelDimensions);
        Assert.Equal(OnnxExecutionProvider.Cpu, Generator.ExecutionProvider);
        Assert.Equal(OnnxExecutionProvider.Cpu, stats?.Provider);
        Assert.Same(Generator, Generator.GetService<IOnnxEmbeddingGenerator>());
    }

    [Fact]
    public void EmbedBatch_checks_the_destination_size()
    {
        var error = Assert.Throws<ArgumentException>(() => Generator.EmbedBatch(["a text", "another"], new float[384]));

        Assert.Equal("destination", error.ParamName);
    }
}
