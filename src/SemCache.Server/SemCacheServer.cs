using System.IO.Compression;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Grpc.AspNetCore.Server;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using SemCache.Cluster;
using SemCache.Server.Auth;
using SemCache.Server.Dashboard;
using SemCache.Server.Hosting;
using SemCache.Server.Limits;
using SemCache.Server.Services;

namespace SemCache.Server;

/// <summary>
/// Builds and runs the SemCache server. The engine registration is passed in, so the same host
/// runs the embedded engine (<c>Program</c>, <c>semcache serve</c>) or any other
/// <see cref="ISemanticCache"/> (tests).
/// </summary>
public static class SemCacheServer
{
    /// <summary>Short command-line options and the configuration keys they set.</summary>
    public static IReadOnlyDictionary<string, string> SwitchMappings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--data"] = "SemCache:DataDirectory",
        ["--grpc-port"] = ServerOptions.Section + ":GrpcPort",
        ["--http-port"] = ServerOptions.Section + ":HttpPort",
        ["--listen"] = ServerOptions.Section + ":ListenAddress",
        ["--http-listen"] = ServerOptions.Section + ":HttpListenAddress",
        ["--keys-file"] = ServerOptions.Section + ":KeysFile",
        ["--tls-certificate"] = ServerOptions.Section + ":TlsCertificatePath",
        ["--pricing-file"] = "SemCache:PricingFile",
        // Cluster mode (issue 17): `semcache serve --cluster --silo-port 11112 --cluster-primary 127.0.0.1:11111`.
        ["--cluster"] = SemCache.Cluster.SemCacheClusterOptions.Section + ":Enabled",
        ["--silo-port"] = SemCache.Cluster.SemCacheClusterOptions.Section + ":SiloPort",
        ["--cluster-primary"] = SemCache.Cluster.SemCacheClusterOptions.Section + ":PrimarySiloEndpoint",
        ["--cluster-id"] = SemCache.Cluster.SemCacheClusterOptions.Section + ":ClusterId",
        ["--cluster-replicas"] = SemCache.Cluster.SemCacheClusterOptions.Section + ":Replicas",
        ["--cluster-advertise"] = SemCache.Cluster.SemCacheClusterOptions.Section + ":AdvertisedAddress",
        ["--cluster-membership"] = SemCache.Cluster.SemCacheClusterOptions.Section + ":Membership",
        ["--cluster-redis"] = SemCache.Cluster.SemCacheClusterOptions.Section + ":RedisConnectionString",
    };

    private static string? ConfigFile(string[] args)
    {
        var i = Array.IndexOf(args, "--config");
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>A bare <c>--cluster</c> (no value follows) means <c>--cluster true</c>.</summary>
    private static string[] ClusterFlag(string[] args)
    {
        var i = Array.IndexOf(args, "--cluster");
        if (i < 0 || (i + 1 < args.Length && !args[i + 1].StartsWith('-'))) { return args; }
        var copy = (string[])args.Clone();
        copy[i] = "--cluster=true";
        return copy;
    }

    /// <summary>
    /// A builder with configuration (appsettings.json, environment, command line), Kestrel's two
    /// ports and every server service registered; the caller adds the <see cref="ISemanticCache"/>.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        if (ConfigFile(args) is { } configFile)
        {
            // A calibration file written by `semcache calibrate` (or any JSON in the same layout);
            // the command line still overrides it.
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }

        builder.Configuration.AddCommandLine(ClusterFlag(args), (IDictionary<string, string>)SwitchMappings);
        AddServerServices(builder.Services, builder.Configuration);
        builder.WebHost.ConfigureKestrel(ConfigureKestrel);
        return builder;
    }

    /// <summary>Maps the gRPC services, health, reflection, metrics and the dashboard.</summary>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();
        var options = app.Services.GetRequiredService<IOptions<ServerOptions>>().Value;
        var gate = new HttpPortGate(options, app.Services.GetRequiredService<ApiKeyStore>());
        app.Use(gate.InvokeAsync);
        // Per-key rate limits are charged by ServerCallInterceptor, which knows what a call costs.
        app.MapGrpcService<SemanticCacheService>();
        app.MapGrpcService<KeyAdminService>();

        app.MapPrefixService();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();

        // HttpPort 0 means no HTTP surface at all: nothing below is mapped, so nothing of it can be
        // reached on the gRPC port either (HttpPortGate keeps that port to gRPC in any case).
        if (options.HttpPort != 0)
        {
            app.MapHealthChecks("/healthz", new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions { ResponseWriter = EngineHealthCheck.WriteResponse });
            app.MapPrometheusScrapingEndpoint("/metrics");
            if (options.Dashboard)
            {
                app.MapDashboard();
            }
        }

        return app;
    }

    /// <summary>
    /// Runs the server until SIGTERM/Ctrl+C, then stops gracefully (the engine checkpoints when it
    /// is disposed). Returns the process exit code: 0, or 2 for a configuration or start-up error.
    /// </summary>
    public static async Task<int> RunAsync(string[] args, Action<WebApplicationBuilder> addCache)
    {
        ArgumentNullException.ThrowIfNull(addCache);

        // The data directory holds every tenant's prompts and answers: whatever this process
        // creates (FASTER's segments, checkpoints, keys) is readable by its owner only.
        SemCache.Storage.PrivateDirectory.RestrictNewFiles();
        try
        {
            var builder = CreateBuilder(args);
            addCache(builder);
            if (SemCache.Cluster.ClusterHosting.IsEnabled(builder.Configuration))
            {
                // This process becomes a silo: the gRPC API forwards to the partition groups' grains and
                // the engine registered above keeps this silo's copies.
                builder.AddSemCacheCluster();
                builder.Services.AddSingleton<DashboardClusterView>();
            }
            await using var app = Build(builder);
            await app.RunAsync();
            return 0;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync("semcache: invalid configuration:\n  " + string.Join("\n  ", e.Failures));
            return 2;
        }
        catch (IOException e) when (e.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync("semcache: cannot listen: " + e.Message + " (choose other ports with --grpc-port / --http-port)");
            return 2;
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or UnauthorizedAccessException or IOException)
        {
            // Start-up failures (engine cannot open its data, keys file unreadable...) end the
            // process with their message rather than a stack trace.
            await Console.Error.WriteLineAsync("semcache: cannot start: " + e.Message);
            return 2;
        }
    }

    /// <summary>
    /// Registers the embedded engine, configured from the <c>SemCache</c> section (data directory,
    /// durability, dimensions, thresholds...), with the ONNX MiniLM embedder (section
    /// <c>SemCache:Embedder</c>; CUDA when present, else the CPU) unless
    /// <c>SemCache:RequestsBringVectors</c> is true, and with a cross-encoder re-scoring borderline
    /// candidates when <c>SemCache:CrossEncoder:ModelDirectory</c> is set.
    /// </summary>
    public static void AddEmbeddedEngine(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddEmbeddedEngine(builder.Services, builder.Configuration);
    }

    /// <summary>The same registration for any host (the CLI's embedded mode uses it).</summary>
    public static void AddEmbeddedEngine(IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SemanticCacheOptions>().Bind(configuration.GetSection("SemCache"));
        services.AddOptions<SemCache.Verification.VerifierOptions>().Bind(configuration.GetSection("SemCache:Verifier"));
        var cache = services.AddSemanticCache();
        if (!configuration.GetValue<bool>("SemCache:RequestsBringVectors"))
        {
            var embedder = configuration.GetSection("SemCache:Embedder");
            cache.AddOnnxEmbedder(options => embedder.Bind(options));
        }

        var crossEncoder = configuration.GetSection("SemCache:CrossEncoder");
        if (!string.IsNullOrWhiteSpace(crossEncoder["ModelDirectory"]))
        {
            cache.AddOnnxCrossEncoder(options => crossEncoder.Bind(options));
        }

        // Batch lookups on the GPU (CUDA when present, else the CPU) when SemCache:Gpu:Enabled is set.
        var gpu = configuration.GetSection("SemCache:Gpu");
        if (gpu.GetValue<bool>("Enabled"))
        {
            services.AddSemanticCacheGpu(options => gpu.Bind(options));
        }
    }

    private static void AddServerServices(IServiceCollection services, ConfigurationManager configuration)
    {
        services.AddOptions<SemanticCacheOptions>().Bind(configuration.GetSection("SemCache"))
            .PostConfigure(o => o.DataDirectory = EngineStartup.ResolveDataDirectory(o.DataDirectory));
        services.AddOptions<ServerOptions>().Bind(configuration.GetSection(ServerOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ServerOptions>, ServerOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<RequestLimits>();
        services.AddSingleton<TenantQuotas>();
        services.AddSingleton<ServerMetrics>();
        services.AddSingleton<DashboardRecorder>();
        services.AddSingleton<ServerCallInterceptor>();
        services.AddHostedService<EngineStartup>();
        services.AddHostedService<BootstrapKeyService>();
        services.AddHostedService<DashboardSampler>();

        services.AddGrpc();
        services.AddOptions<GrpcServiceOptions>().Configure<IOptions<ServerOptions>>((grpc, server) =>
        {
            grpc.MaxReceiveMessageSize = server.Value.MaxMessageBytes;
            grpc.EnableDetailedErrors = false;
            grpc.ResponseCompressionAlgorithm = server.Value.CompressResponses ? "gzip" : null;
            grpc.ResponseCompressionLevel = CompressionLevel.Fastest;
            grpc.Interceptors.Add<ServerCallInterceptor>();
        });
        services.AddGrpcReflection();
        // A singleton, so that its once-a-second memo of the engine check is shared by every probe.
        services.AddSingleton<EngineHealthCheck>();
        services.AddGrpcHealthChecks().AddCheck<EngineHealthCheck>("engine");
        services.AddSingleton<GrpcRateLimiting>();
        services.AddSingleton<TenantLookupShare>();
        services.AddPrefixService(configuration);
        var otlp = configuration[ServerOptions.Section + ":OtlpEndpoint"];
        var otlpUri = Uri.TryCreate(otlp, UriKind.Absolute, out var parsed) ? parsed : null;
        var telemetry = services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("semcache-server")).WithMetrics(metrics =>
        {
            metrics.AddMeter(SemCache.Telemetry.SemCacheTelemetry.Name, ServerMetrics.MeterName).AddPrometheusExporter();
            if (otlpUri is not null)
            {
                metrics.AddOtlpExporter(exporter => exporter.Endpoint = otlpUri);
            }
        });
        if (otlpUri is not null)
        {
            // Spans only leave the process when there is somewhere to send them.
            telemetry.WithTracing(tracing => tracing.AddSource(SemCache.Telemetry.SemCacheTelemetry.Name).AddOtlpExporter(exporter => exporter.Endpoint = otlpUri));
        }

        services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(30));
    }

    /// <summary>Concurrent HTTP/2 streams (calls) one connection may carry.</summary>
    internal const int Http2MaxStreamsPerConnection = 512;

    private static void ConfigureKestrel(WebHostBuilderContext context, KestrelServerOptions kestrel)
    {
        var options = kestrel.ApplicationServices.GetRequiredService<IOptions<ServerOptions>>().Value;
        if (!ServerOptionsValidator.TryParseAddress(options.ListenAddress, out var address))
        {
            throw new OptionsValidationException(ServerOptions.Section, typeof(ServerOptions), [$"ListenAddress '{options.ListenAddress}' is not an IP address."]);
        }

        if (!ServerOptionsValidator.TryParseAddress(options.HttpListenAddress, out var httpAddress))
        {
            throw new OptionsValidationException(ServerOptions.Section, typeof(ServerOptions), [$"HttpListenAddress '{options.HttpListenAddress}' is not an IP address."]);
        }

        kestrel.AddServerHeader = false;

        // Many small unary calls multiplexed over a few long-lived HTTP/2 connections (the .NET client
        // opens one per channel): let a connection carry more concurrent calls than Kestrel's default
        // 100 streams, so clients beyond that queue in the server, not behind a SETTINGS limit. The flow
        // control windows stay at Kestrel's defaults (1 MB per connection, 768 KB per stream): a
        // lookup is a few KB, and larger windows only raise what one connection may make the server buffer.
        kestrel.Limits.Http2.MaxStreamsPerConnection = Http2MaxStreamsPerConnection;
        kestrel.Listen(address, options.GrpcPort, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            if (!string.IsNullOrEmpty(options.TlsCertificatePath))
            {
                listen.UseHttps(X509CertificateLoader.LoadPkcs12FromFile(options.TlsCertificatePath, options.TlsCertificatePassword));
            }
        });
        if (options.HttpPort != 0)
        {
            kestrel.Listen(httpAddress, options.HttpPort, listen => listen.Protocols = HttpProtocols.Http1);
        }
    }
}
