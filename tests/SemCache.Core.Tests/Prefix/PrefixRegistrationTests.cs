using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace SemCache.Tests.Prefix;

public sealed class PrefixRegistrationTests
{
    private static async Task<string> UseIndex(CacheDurability durability)
    {
        var directory = Path.Combine(Path.GetTempPath(), "semcache-prefix-di-" + Guid.NewGuid().ToString("N"));
        var services = new ServiceCollection();
        services.AddOptions<SemanticCacheOptions>().Configure(o =>
        {
            o.DataDirectory = directory;
            o.Durability = durability;
        });
        services.AddPrefixCache(o => o.Secret = "s");
        await using (var provider = services.BuildServiceProvider())
        {
            var prefix = provider.GetRequiredService<IPrefixCache>();
            await prefix.RegisterBackendAsync("acme", new PrefixBackend { Id = "e", Tokenizer = PrefixTokenizers.Caller });
            await prefix.ReportUsageAsync(new PrefixUsageReport { Tenant = "acme", BackendId = "e", Prompt = PrefixPrompt.FromTokens(Enumerable.Range(0, 64).ToArray()) });
        }

        return directory;
    }

    [Fact]
    public async Task The_registered_index_is_written_under_the_data_directory_when_the_provider_is_disposed()
    {
        var directory = await UseIndex(CacheDurability.Fast);
        try
        {
            Assert.True(File.Exists(Path.Combine(directory, "prefix", "index.bin")));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task In_memory_mode_writes_nothing_to_the_data_directory()
    {
        var directory = await UseIndex(CacheDurability.InMemory);
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public void An_invalid_option_fails_validation_with_a_message_naming_it()
    {
        var services = new ServiceCollection();
        services.AddPrefixCache(o => o.MaxBlocksPerBackend = 0);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PrefixCacheOptions>>().Value);

        Assert.Contains("MaxBlocksPerBackend", error.Message, StringComparison.Ordinal);
    }
}
