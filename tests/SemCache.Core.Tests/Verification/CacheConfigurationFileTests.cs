using SemCache.Verification;

namespace SemCache.Tests.Verification;

public sealed class CacheConfigurationFileTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), "semcache-config-" + Guid.NewGuid().ToString("N") + ".json");

    public void Dispose() => File.Delete(_path);

    [Fact]
    public void A_written_configuration_reads_back_the_same_settings()
    {
        var verifier = new VerifierOptions { WordOrder = false, NearIdenticalMinSimilarity = 0.985f };
        CacheConfigurationFile.Write(_path, new CacheConfiguration(0.915f, verifier, 0.03f), new Dictionary<string, object> { ["precision"] = 0.95, ["pairs"] = 10 });

        var read = CacheConfigurationFile.Read(_path);

        Assert.Equal(0.915f, read.SimilarityThreshold, 4);
        Assert.False(read.Verifier.WordOrder);
        Assert.True(read.Verifier.Numbers);
        Assert.Equal(0.985f, read.Verifier.NearIdenticalMinSimilarity, 4);
        Assert.Equal(0.03f, read.AmbiguityMargin, 4);
    }

    [Fact]
    public void Unnamed_settings_keep_their_defaults()
    {
        File.WriteAllText(_path, """{ "SemCache": { "Verifier": { "Antonyms": false } } }""");

        var read = CacheConfigurationFile.Read(_path);

        Assert.Equal(new SemanticCacheOptions().SimilarityThreshold, read.SimilarityThreshold);
        Assert.Equal(new SemanticCacheOptions().AmbiguityMargin, read.AmbiguityMargin);
        Assert.False(read.Verifier.Antonyms);
        Assert.True(read.Verifier.Entities);
    }

    [Fact]
    public void Unknown_or_out_of_range_settings_are_rejected_with_their_name()
    {
        File.WriteAllText(_path, """{ "SemCache": { "Verifier": { "Colour": true } } }""");
        Assert.Contains("Colour", Assert.Throws<FormatException>(() => CacheConfigurationFile.Read(_path)).Message, StringComparison.Ordinal);

        File.WriteAllText(_path, """{ "SemCache": { "SimilarityThreshold": 1.5 } }""");
        Assert.Contains("SimilarityThreshold", Assert.Throws<FormatException>(() => CacheConfigurationFile.Read(_path)).Message, StringComparison.Ordinal);

        File.WriteAllText(_path, """{ "SemCache": { "AmbiguityMargin": -0.1 } }""");
        Assert.Contains("AmbiguityMargin", Assert.Throws<FormatException>(() => CacheConfigurationFile.Read(_path)).Message, StringComparison.Ordinal);
    }
}
