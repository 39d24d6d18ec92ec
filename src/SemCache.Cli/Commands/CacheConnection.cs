using System.CommandLine;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SemCache.Client;
using SemCache.Server;

namespace SemCache.Cli.Commands;

/// <summary>
/// The options every cache command shares, and how they become an <see cref="ISemanticCache"/>:
/// the .NET client when <c>--server</c> is given, else the embedded engine on <c>--data</c>.
/// </summary>
internal sealed class CacheConnection : IAsyncDisposable
{
    private readonly IAsyncDisposable _owner;

    private CacheConnection(ISemanticCache cache, IAsyncDisposable owner, string tenant, bool remote, IEmbeddingGenerator<string, Embedding<float>>? embedder = null)
    {
        Cache = cache;
        Embedder = embedder;
        _owner = owner;
        Tenant = tenant;
        IsRemote = remote;
    }

    public ISemanticCache Cache { get; }

    /// <summary>The tenant of requests; for a server the key decides and this is only informative.</summary>
    public string Tenant { get; }

    public bool IsRemote { get; }

    /// <summary>The embedded engine's embedder (null for a server, or when requests bring their vectors): for batch embedding.</summary>
    public IEmbeddingGenerator<string, Embedding<float>>? Embedder { get; }

    public sealed record Options(Option<string?> Server, Option<string?> Key, Option<string> Data, Option<string> Tenant);

    public static Options AddOptions(Command command)
    {
        var options = new Options(
            new Option<string?>("--server") { Description = "gRPC address of a SemCache server, e.g. http://127.0.0.1:50051. Without it the command works on the embedded store in --data." },
            new Option<string?>("--key") { Description = "API key for --server (default: $SEMCACHE_KEY)." },
            new Option<string>("--data") { Description = "Data directory of the embedded store (without --server).", DefaultValueFactory = _ => "./data" },
            new Option<string>("--tenant") { Description = "Tenant for the embedded store (a server takes it from the key).", DefaultValueFactory = _ => "default" });
        command.Options.Add(options.Server);
        command.Options.Add(options.Key);
        command.Options.Add(options.Data);
        command.Options.Add(options.Tenant);
        return options;
    }

    public static CacheConnection Open(ParseResult parseResult, Options options)
    {
        var tenant = parseResult.GetValue(options.Tenant) ?? "default";
        if (ServerOf(parseResult, options) is { } server)
        {
            var client = new SemanticCacheClient(new SemanticCacheClientOptions { Address = server, ApiKey = KeyOf(parseResult, options) });
            return new CacheConnection(client, new DisposeAdapter(client), tenant, remote: true);
        }

        var configuration = new ConfigurationBuilder()
            .AddEnvironmentVariables()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["SemCache:DataDirectory"] = parseResult.GetValue(options.Data) })
            .Build();
        var services = new ServiceCollection();
        services.AddLogging();
        SemCacheServer.AddEmbeddedEngine(services, configuration);
        var provider = services.BuildServiceProvider();
        return new CacheConnection(
            provider.GetRequiredService<ISemanticCache>(),
            provider,
            tenant,
            remote: false,

            // The cache's own embedder is keyed (AddOnnxEmbedder registers it under SemanticCacheServiceKeys.Embedder);
            // the engine falls back to an unkeyed one, and so does batch embedding here.
            provider.GetKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(SemanticCacheServiceKeys.Embedder)
                ?? provider.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
    }

    /// <summary>The --server address, or null for the embedded store.</summary>
    public static Uri? ServerOf(ParseResult parseResult, Options options)
    {
        var text = parseResult.GetValue(options.Server);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return Uri.TryCreate(text, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new ArgumentException($"--server must be an http:// or https:// address, got '{text}'.", "--server");
    }

    public static string KeyOf(ParseResult parseResult, Options options)
    {
        var key = parseResult.GetValue(options.Key) ?? Environment.GetEnvironmentVariable("SEMCACHE_KEY");
        return string.IsNullOrWhiteSpace(key)
            ? throw new ArgumentException("--key (or $SEMCACHE_KEY) is required with --server.", "--key")
            : key;
    }

    public ValueTask DisposeAsync() => _owner.DisposeAsync();

    private sealed class DisposeAdapter(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
