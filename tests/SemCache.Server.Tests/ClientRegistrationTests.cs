using Microsoft.Extensions.DependencyInjection;
using SemCache.Client;

namespace SemCache.Server.Tests;

public sealed class ClientRegistrationTests
{
    [Fact]
    public void AddSemanticCacheClient_registers_the_client_as_the_ISemanticCache_singleton()
    {
        using var services = new ServiceCollection()
            .AddSemanticCacheClient(o =>
            {
                o.Address = new Uri("http://127.0.0.1:50051");
                o.ApiKey = "some-key";
            })
            .BuildServiceProvider();

        var cache = services.GetRequiredService<ISemanticCache>();

        Assert.IsType<SemanticCacheClient>(cache);
        Assert.Same(cache, services.GetRequiredService<ISemanticCache>());
    }

    [Fact]
    public void A_client_without_an_API_key_is_refused_with_a_message_naming_it()
    {
        using var services = new ServiceCollection().AddSemanticCacheClient(o => o.ApiKey = " ").BuildServiceProvider();

        var e = Assert.Throws<ArgumentException>(() => services.GetRequiredService<ISemanticCache>());

        Assert.Equal("ApiKey", e.ParamName);
    }
}
