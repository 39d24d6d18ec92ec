using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SemCache.Client;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Tests;

/// <summary>
/// One server for a test: in process over TestServer by default, or on real loopback ports with
/// Kestrel. Data (the keys file) lives in a fresh temporary folder that is removed afterwards.
/// </summary>
internal sealed class ServerHost : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key-0123456789abcdef";
    public const int Dimensions = 8;

    private readonly WebApplication _app;

    private ServerHost(WebApplication app, GrpcChannel channel, string dataDirectory, ISemanticCache cache, Uri? httpAddress)
    {
        _app = app;
        Channel = channel;
        DataDirectory = dataDirectory;
        Cache = cache;
        HttpAddress = httpAddress;
    }

    public GrpcChannel Channel { get; }

    public string DataDirectory { get; }

    public ISemanticCache Cache { get; }

    /// <summary>The dashboard/metrics address when running on Kestrel.</summary>
    public Uri? HttpAddress { get; }

    public IServiceProvider Services => _app.Services;

    public V1.SemanticCache.SemanticCacheClient Raw => new(Channel);

    public V1.KeyAdmin.KeyAdminClient Admin => new(Channel);

    public static async Task<ServerHost> StartAsync(
        ISemanticCache? cache = null,
        IReadOnlyDictionary<string, string?>? settings = null,
        bool kestrel = false,
        bool engine = false)
    {
        cache ??= engine ? null : new FakeSemanticCache(Dimensions);
        var data = Path.Combine(Path.GetTempPath(), "semcache-server-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(data);
        var config = new Dictionary<string, string?>
        {
            ["SemCache:DataDirectory"] = data,
            ["SemCache:Dimensions"] = Dimensions.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SEMCACHE_ADMIN_KEY"] = AdminKey,
            ["SemCache:Server:DashboardSampleInterval"] = "00:00:00.200",
        };
        int grpcPort = 0, httpPort = 0;
        if (kestrel)
        {
            (grpcPort, httpPort) = TwoFreePorts();
            config["SemCache:Server:GrpcPort"] = grpcPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
            config["SemCache:Server:HttpPort"] = httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var builder = SemCacheServer.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.ClearProviders();
        if (cache is null)
        {
            // The real embedded engine, in memory unless the settings say otherwise, with callers bringing their vectors.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["SemCache:Durability"] = "InMemory",
                ["SemCache:RequestsBringVectors"] = "true",
            });
            builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
            SemCacheServer.AddEmbeddedEngine(builder);
        }
        else
        {
            builder.Services.AddSingleton(cache);
        }

        if (!kestrel)
        {
            builder.WebHost.UseTestServer();
        }

        var app = SemCacheServer.Build(builder);
        await app.StartAsync();
        GrpcChannel channel;
        Uri? httpAddress = null;
        if (kestrel && config.GetValueOrDefault("SemCache:Server:TlsCertificatePath") is { Length: > 0 } certificate)
        {
            // Trust exactly the test's self-signed certificate.
            var expected = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(certificate, null).Thumbprint;
            channel = GrpcChannel.ForAddress($"https://127.0.0.1:{grpcPort}", new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && cert.GetCertHashString() == expected },
                },
            });
            httpAddress = new Uri($"http://127.0.0.1:{httpPort}");
        }
        else if (kestrel)
        {
            channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
            httpAddress = new Uri($"http://127.0.0.1:{httpPort}");
        }
        else
        {
            channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
            {
                HttpHandler = app.GetTestServer().CreateHandler(),
                MaxReceiveMessageSize = null,
                MaxSendMessageSize = null,
            });
        }

        return new ServerHost(app, channel, data, app.Services.GetRequiredService<ISemanticCache>(), httpAddress);
    }

    public static Metadata Headers(string key) => SemanticCacheClient.CreateHeaders(key);

    public SemanticCacheClient ClientFor(string key, TimeSpan? lookupTimeout = null) => new(Channel, key, lookupTimeout);

    public async Task<string> CreateKeyAsync(string tenant, V1.Role role)
    {
        var response = await Admin.CreateKeyAsync(new V1.CreateKeyRequest { Tenant = tenant, Role = role }, Headers(AdminKey));
        return response.Secret;
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a dying process is not worth failing a test over.
        }
    }

    /// <summary>
    /// Two distinct free ports. Both listeners are held open together: asked one after the other, the kernel may
    /// hand out the port it just released, and the server then refuses equal gRPC and HTTP ports.
    /// </summary>
    private static (int First, int Second) TwoFreePorts()
    {
        using var first = new TcpListener(IPAddress.Loopback, 0);
        using var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
    }
}

internal static class ServerHostExtensions
{
    /// <summary>An HTTP handler into the in-process TestServer.</summary>
    public static HttpMessageHandler GetTestHandler(this IServiceProvider services) =>
        ((Microsoft.AspNetCore.TestHost.TestServer)services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()).CreateHandler();
}
