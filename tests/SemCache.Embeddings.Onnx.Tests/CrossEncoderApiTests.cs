using Microsoft.Extensions.DependencyInjection;
using static SemCache.Embeddings.Onnx.Tests.CrossEncoderTestModels;

namespace SemCache.Embeddings.Onnx.Tests;

/// <summary>Argument checks, cancellation, disposal, options validation and registration of the cross-encoder.</summary>
public sealed class CrossEncoderApiTests : IDisposable
{
    private readonly string _folder = WriteFolder(SummedInput.SecondSegment);

    public void Dispose() => Delete(_folder);

    private sealed class TestCacheBuilder : ISemanticCacheBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
    }

    private OnnxCrossEncoder Create(int maxBatchSize = 16) =>
        OnnxCrossEncoder.Create(new OnnxCrossEncoderOptions { ModelDirectory = _folder, Provider = OnnxExecutionProvider.Cpu, MaxBatchSize = maxBatchSize });

    [Fact]
    public async Task Null_arguments_are_rejected_by_parameter_name()
    {
        using var encoder = Create();

        var query = await Assert.ThrowsAsync<ArgumentNullException>(async () => await encoder.ScoreAsync(null!, ["a"]));
        var list = await Assert.ThrowsAsync<ArgumentNullException>(async () => await encoder.ScoreAsync("a", null!));
        var element = await Assert.ThrowsAsync<ArgumentNullException>(async () => await encoder.ScoreAsync("a", ["the cat", null!]));

        Assert.Equal("query", query.ParamName);
        Assert.Equal("candidates", list.ParamName);
        Assert.Equal("candidates", element.ParamName);
        Assert.Contains("candidates[1]", element.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_candidates_give_no_scores()
    {
        using var encoder = Create();

        var scores = await encoder.ScoreAsync("what is a cat?", []);

        Assert.Empty(scores);
    }

    [Fact]
    public async Task A_cancelled_token_stops_the_call_before_any_pass()
    {
        using var encoder = Create();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await encoder.ScoreAsync("a", ["the cat"], cancelled.Token));
    }

    [Fact]
    public async Task Cancellation_during_a_call_stops_it_before_the_next_pass()
    {
        using var encoder = Create(maxBatchSize: 2);
        using var cancellation = new CancellationTokenSource();

        // Cancels when the first pass reads its last candidate, after the token was checked for that pass.
        var candidates = new CancelOnRead(["the cat", "the dog", "a cat", "a dog"], cancellation, index: 1, onRead: 2);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await encoder.ScoreAsync("a", candidates, cancellation.Token));
        Assert.Equal(2, candidates.ReadsOf(1));
        Assert.Equal(1, candidates.ReadsOf(2)); // only the argument check read the second pass's candidates
    }

    [Fact]
    public async Task A_disposed_cross_encoder_refuses_calls()
    {
        var encoder = Create();
        encoder.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await encoder.ScoreAsync("a", ["the cat"]));
    }

    public static TheoryData<string, Action<OnnxCrossEncoderOptions>> InvalidOptions => new()
    {
        { "ModelDirectory", o => o.ModelDirectory = null },
        { "ModelDirectory", o => o.ModelDirectory = " " },
        { "MaxSequenceLength", o => o.MaxSequenceLength = 7 },
        { "MaxSequenceLength", o => o.MaxSequenceLength = 513 },
        { "MaxBatchSize", o => o.MaxBatchSize = 0 },
        { "MaxBatchSize", o => o.MaxBatchSize = 1_025 },
        { "IntraOpThreads", o => o.IntraOpThreads = -1 },
        { "CudaDeviceId", o => o.CudaDeviceId = -1 },
        { "Provider", o => o.Provider = (OnnxExecutionProvider)42 },
        { "Tokenizer", o => o.Tokenizer = (TokenizerCompatibility)42 },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void An_invalid_option_fails_at_registration_with_its_name(string name, Action<OnnxCrossEncoderOptions> configure)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new TestCacheBuilder().AddOnnxCrossEncoder(o =>
        {
            o.ModelDirectory = "/models/cross-encoder";
            configure(o);
        }));

        Assert.Contains("OnnxCrossEncoderOptions." + name, error.Message, StringComparison.Ordinal);
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void Defaults_with_a_model_folder_are_valid()
    {
        var options = new OnnxCrossEncoderOptions { ModelDirectory = "/models/cross-encoder" };

        options.Validate();

        Assert.Equal(256, options.MaxSequenceLength);
        Assert.Equal(16, options.MaxBatchSize);
        Assert.Equal(OnnxExecutionProvider.Auto, options.Provider);
        Assert.Equal(TokenizerCompatibility.HuggingFace, options.Tokenizer);
    }

    [Fact]
    public void A_missing_model_folder_fails_when_the_rescorer_is_resolved_naming_the_option()
    {
        var builder = new TestCacheBuilder();
        builder.AddOnnxCrossEncoder(o => o.ModelDirectory = Path.Combine(Path.GetTempPath(), "semcache-no-such-model-" + Guid.NewGuid()));
        using var provider = builder.Services.BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<ICandidateRescorer>());

        Assert.Contains("OnnxCrossEncoderOptions.ModelDirectory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_registered_rescorer_is_one_singleton_that_replaces_an_earlier_one()
    {
        var builder = new TestCacheBuilder();
        builder.Services.AddSingleton<ICandidateRescorer, ConstantRescorer>();
        builder.AddOnnxCrossEncoder(o =>
        {
            o.ModelDirectory = _folder;
            o.Provider = OnnxExecutionProvider.Cpu;
        });
        using var provider = builder.Services.BuildServiceProvider();

        var rescorer = provider.GetRequiredService<ICandidateRescorer>();
        var scores = await rescorer.ScoreAsync("what is a cat?", ["the cat"]);

        Assert.Same(provider.GetRequiredService<OnnxCrossEncoder>(), rescorer);
        Assert.Single(provider.GetServices<ICandidateRescorer>());
        Assert.Equal(OnnxExecutionProvider.Cpu, ((OnnxCrossEncoder)rescorer).Provider);

        // The test model's logit is 0.1 × (2 candidate pieces + [SEP]) − 2.5.
        Assert.Equal(1 / (1 + Math.Exp(2.2)), scores[0], 1e-5);
    }

    [Fact]
    public async Task A_wordpiece_tokenizer_json_serves_as_the_vocabulary()
    {
        var folder = WriteFolder(SummedInput.SecondSegment);
        try
        {
            File.Delete(Path.Combine(folder, "vocab.txt"));
            var vocab = Vocabulary.Select((token, id) => (token, id)).ToDictionary(t => t.token, t => t.id);
            var json = System.Text.Json.JsonSerializer.Serialize(new { model = new { type = "WordPiece", vocab } });
            await File.WriteAllTextAsync(Path.Combine(folder, "tokenizer.json"), json);
            using var encoder = OnnxCrossEncoder.Create(new OnnxCrossEncoderOptions { ModelDirectory = folder, Provider = OnnxExecutionProvider.Cpu });

            var scores = await encoder.ScoreAsync("what is a cat?", ["cats sat on the mat"]);

            Assert.Equal(1 / (1 + Math.Exp(-((0.1 * 7) - 2.5))), scores[0], 1e-5);
        }
        finally
        {
            Delete(folder);
        }
    }

    private sealed class ConstantRescorer : ICandidateRescorer
    {
        public ValueTask<float[]> ScoreAsync(string query, IReadOnlyList<string> candidates, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(new float[candidates.Count]);
    }

    /// <summary>A candidate list that cancels a token when one element is read for the n-th time.</summary>
    private sealed class CancelOnRead(string[] items, CancellationTokenSource source, int index, int onRead) : IReadOnlyList<string>
    {
        private readonly int[] _reads = new int[items.Length];

        public int Count => items.Length;

        public string this[int i]
        {
            get
            {
                if (++_reads[i] == onRead && i == index)
                {
                    source.Cancel();
                }

                return items[i];
            }
        }

        public int ReadsOf(int i) => _reads[i];

        public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)items).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => items.GetEnumerator();
    }
}
