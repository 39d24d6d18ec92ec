namespace SemCache.Server;

/// <summary>
/// Options of the server, bound from the <c>SemCache:Server</c> configuration section
/// (appsettings.json, environment variables such as <c>SemCache__Server__GrpcPort</c>, or the
/// command line). Validated at start: an invalid value stops the server with a message naming it.
/// </summary>
public sealed class ServerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "SemCache:Server";

    /// <summary>
    /// Address the gRPC port listens on. Default <c>127.0.0.1</c>; <c>0.0.0.0</c> or <c>::</c> for all
    /// interfaces. A non-loopback address needs <see cref="TlsCertificatePath"/> or <see cref="AllowInsecure"/>.
    /// </summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Address the HTTP port (dashboard, <c>/metrics</c>, <c>/healthz</c>) listens on, separately from
    /// the gRPC port, so exposing gRPC does not expose the dashboard. Default <c>127.0.0.1</c>.
    /// </summary>
    public string HttpListenAddress { get; set; } = "127.0.0.1";

    /// <summary>
    /// Host names the HTTP port answers to, separated by <c>;</c> (a <c>Host</c> header naming any
    /// other host gets 400, which stops DNS-rebinding pages from reading a loopback dashboard).
    /// Default: <c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c> and <see cref="HttpListenAddress"/>;
    /// <c>*</c> allows any host.
    /// </summary>
    public string? HttpAllowedHosts { get; set; }

    /// <summary>
    /// Require <c>authorization: Bearer &lt;key&gt;</c> of role <c>metrics</c> or <c>operator</c>
    /// for the dashboard, its JSON and <c>/metrics</c> (<c>/healthz</c> stays open for probes).
    /// Default false: the HTTP port is private (loopback) by default.
    /// </summary>
    public bool HttpRequireKey { get; set; }

    /// <summary>
    /// Allow a non-loopback <see cref="ListenAddress"/> without TLS (e.g. behind a TLS-terminating
    /// proxy on a private network). Default false: such a configuration is refused at start.
    /// </summary>
    public bool AllowInsecure { get; set; }

    /// <summary>gRPC port (HTTP/2). Default 50051.</summary>
    public int GrpcPort { get; set; } = 50051;

    /// <summary>
    /// HTTP/1.1 port for the dashboard, <c>/metrics</c> and <c>/healthz</c>. Default 8080; 0 disables it:
    /// then none of them is served anywhere (the gRPC port answers only gRPC, health included).
    /// </summary>
    public int HttpPort { get; set; } = 8080;

    /// <summary>
    /// OTLP endpoint (e.g. <c>http://localhost:4317</c>) to export metrics and the engine's spans
    /// (lookup, embed, search, verify, store) to, beside the Prometheus <c>/metrics</c>. Default: none.
    /// </summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary>PFX certificate; when set the gRPC port serves TLS.</summary>
    public string? TlsCertificatePath { get; set; }

    /// <summary>Password of <see cref="TlsCertificatePath"/>.</summary>
    public string? TlsCertificatePassword { get; set; }

    /// <summary>Largest gRPC message accepted, in bytes. Default 4 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most lookups in one LookupBatch call. Default 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Most conversation turns in a request. Default 64.</summary>
    public int MaxContextTurns { get; set; } = 64;

    /// <summary>Longest scope field (model, system prompt hash, tool, extra key or value), in characters. Default 4,096.</summary>
    public int MaxScopeFieldLength { get; set; } = 4096;

    /// <summary>Longest system prompt, in characters. Default 65,536.</summary>
    public int MaxSystemPromptLength { get; set; } = 65_536;

    /// <summary>Live entries a tenant may hold; a store beyond it fails with ResourceExhausted. 0: no limit.</summary>
    public long MaxEntriesPerTenant { get; set; }

    /// <summary>Bytes a tenant may hold; a store beyond it fails with ResourceExhausted. 0: no limit.</summary>
    public long MaxBytesPerTenant { get; set; }

    /// <summary>Requests per second one API key may make (token bucket). Default 20,000; 0: no limit.</summary>
    public int RequestsPerSecondPerKey { get; set; } = 20_000;

    /// <summary>
    /// Lookups of one tenant the server runs at once; more wait (within their deadline). A large
    /// LookupBatch of one tenant then fills at most this many places of the shared embedder queue,
    /// so other tenants' lookups are not stuck behind it. Default 64; 0: no limit.
    /// </summary>
    public int MaxConcurrentLookupsPerTenant { get; set; } = 64;

    /// <summary>Burst above <see cref="RequestsPerSecondPerKey"/> one key may make. Default: one second's worth.</summary>
    public int? RequestBurstPerKey { get; set; }

    /// <summary>
    /// Time kept back from a lookup's deadline so that its MISS still reaches the caller in time.
    /// Default 5 ms.
    /// </summary>
    public TimeSpan LookupDeadlineMargin { get; set; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Compress responses with gzip when the client accepts it. Default false (small messages, CPU matters more).</summary>
    public bool CompressResponses { get; set; }

    /// <summary>Serve the dashboard and its JSON API on the HTTP port. Default true.</summary>
    public bool Dashboard { get; set; } = true;

    /// <summary>How often the dashboard samples the cache's counters. Default 5 s.</summary>
    public TimeSpan DashboardSampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Tenant of the development admin key created on first start. Default <c>default</c>.</summary>
    public string BootstrapTenant { get; set; } = "default";

    /// <summary>Where API keys are kept (hashed). Default: <c>keys.json</c> in the data directory.</summary>
    public string? KeysFile { get; set; }
}
