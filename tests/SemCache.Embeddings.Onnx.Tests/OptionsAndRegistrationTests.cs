using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace SemCache.Embeddings.Onnx.Tests;

public sealed class OptionsAndRegistrationTests
{
    private sealed class TestCacheBuilder : ISemanticCacheBuilder
    {
        public IServiceCollection Services { get; } = new ServiceCollection();
    }

    public static TheoryData<string, Action<OnnxEmbedderOptions>> InvalidOptions => new()
    {
        { "Dimensions", o => o.Dimensions = 0 },
        { "MaxSequenceLength", o => o.MaxSequenceLength = 513 },
        { "MaxSequenceLength", o => o.MaxSequenceLength = 2 },
        { "MaxBatchSize", o => o.MaxBatchSize = 0 },
        { "MaxBatchWaitMicroseconds", o => o.MaxBatchWaitMicroseconds = -1 },
        { "MaxPendingRequests", o => o.MaxPendingRequests = 0 },
        { "IntraOpThreads", o => o.IntraOpThreads = -2 },
        { "InterOpThreads", o => o.InterOpThreads = -1 },
        { "CudaDeviceId", o => o.CudaDeviceId = -1 },
        { "Provider", o => o.Provider = (OnnxExecutionProvider)42 },
        { "Pooling", o => o.Pooling = (EmbeddingPooling)42 },
        { "Tokenizer", o => o.Tokenizer = (TokenizerCompatibility)42 },
        { "ModelId", o => o.ModelId = " " },
        { "ModelDirectory", o => o.ModelDirectory = "" },
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void An_invalid_option_fails_at_registration_with_its_name(string name, Action<OnnxEmbedderOptions> configure)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => new TestCacheBuilder().AddOnnxEmbedder(configure));

        Assert.Contains("OnnxEmbedderOptions." + name, error.Message, StringComparison.Ordinal);
        Assert.Equal(name, error.ParamName);
    }

    [Fact]
    public void Defaults_are_valid()
    {
        var options = new OnnxEmbedderOptions();

        options.Validate();

        Assert.Equal(384, options.Dimensions);
        Assert.Equal(256, options.MaxSequenceLength);
        Assert.Equal(OnnxExecutionProvider.Auto, options.Provider);
    }

    [Fact]
    public void A_missing_model_folder_fails_when_the_engine_resolves_the_generator()
    {
        var builder = new TestCacheBuilder();
        builder.AddOnnxEmbedder(o => o.ModelDirectory = Path.Combine(Path.GetTempPath(), "semcache-no-such-model-" + Guid.NewGuid()));
        using var provider = builder.Services.BuildServiceProvider();

        var error = Assert.Throws<ArgumentException>(() => provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(SemanticCacheServiceKeys.Embedder));

        Assert.Contains("ModelDirectory", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_folder_without_a_vocabulary_is_rejected_by_name()
    {
        var folder = Directory.CreateTempSubdirectory("semcache-model-").FullName;
        try
        {
            File.WriteAllBytes(Path.Combine(folder, "model.onnx"), [1, 2, 3]);
            var error = Assert.Throws<ArgumentException>(() => OnnxEmbedder.Create(new OnnxEmbedderOptions { ModelDirectory = folder, Provider = OnnxExecutionProvider.Cpu }));

            Assert.Contains("vocab.txt nor tokenizer.json", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("vocab.txt")]
    [InlineData("tokenizer.json")]
    public async Task A_model_folder_gives_the_same_vectors_as_the_built_in_model(string vocabularyFile)
    {
        var assets = ModelAssets.Load(null);
        var folder = Directory.CreateTempSubdirectory("semcache-model-").FullName;
        try
        {
            await File.WriteAllBytesAsync(Path.Combine(folder, "model.onnx"), assets.ModelBytes!);
            if (vocabularyFile == "vocab.txt")
            {
                await File.WriteAllBytesAsync(Path.Combine(folder, "vocab.txt"), assets.Vocabulary);
            }
            else
            {
                var tokens = System.Text.Encoding.UTF8.GetString(assets.Vocabulary).Split('\n', StringSplitOptions.RemoveEmptyEntries);
                var vocab = tokens.Select((token, id) => (token, id)).ToDictionary(t => t.token, t => t.id);
                var json = System.Text.Json.JsonSerializer.Serialize(new { model = new { type = "WordPiece", vocab } });
                await File.WriteAllTextAsync(Path.Combine(folder, "tokenizer.json"), json);
            }

            using var fromFolder = OnnxEmbedder.Create(new OnnxEmbedderOptions { ModelDirectory = folder, ModelId = "copy", Provider = OnnxExecutionProvider.Cpu });
            using var builtIn = OnnxEmbedder.Create(new OnnxEmbedderOptions { Provider = OnnxExecutionProvider.Cpu });
            var a = (await fromFolder.GenerateAsync(["Flights from Florida to New York"]))[0];
            var b = (await builtIn.GenerateAsync(["Flights from Florida to New York"]))[0];

            Assert.Equal("copy", a.ModelId);
            Assert.True(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity(a.Vector.Span, b.Vector.Span) > 0.99999f);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void The_registered_generator_is_one_singleton_under_both_service_types()
    {
        var builder = new TestCacheBuilder();
        builder.AddOnnxEmbedder(o => o.Provider = OnnxExecutionProvider.Cpu);
        using var provider = builder.Services.BuildServiceProvider();

        var generator = provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(SemanticCacheServiceKeys.Embedder);

        Assert.Same(generator, provider.GetRequiredService<IOnnxEmbeddingGenerator>());
        Assert.Same(generator, provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(SemanticCacheServiceKeys.Embedder));
        Assert.Equal(384, provider.GetRequiredService<IOnnxEmbeddingGenerator>().Dimensions);
    }

    [Fact]
    public void AddOnnxEmbedder_leaves_the_applications_own_embedding_generator_registered()
    {
        var builder = new TestCacheBuilder();
        using var own = new OwnGenerator();
        builder.Services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(own);
        builder.AddOnnxEmbedder(o => o.Provider = OnnxExecutionProvider.Cpu);
        using var provider = builder.Services.BuildServiceProvider();

        Assert.Same(own, provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Same(provider.GetRequiredService<IOnnxEmbeddingGenerator>(), provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(SemanticCacheServiceKeys.Embedder));
    }

    private sealed class OwnGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(new float[8]))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    [Fact]
    public void A_configured_dimension_that_differs_from_the_model_fails_at_start()
    {
        var error = Assert.Throws<ArgumentException>(() => OnnxEmbedder.Create(new OnnxEmbedderOptions { Dimensions = 768, Provider = OnnxExecutionProvider.Cpu }));

        Assert.Contains("Dimensions", error.Message, StringComparison.Ordinal);
    }
}
