using System.Net;
using Microsoft.Extensions.Options;
using SemCache.Server.Auth;

namespace SemCache.Server.Hosting;

/// <summary>Checks the server's options at start, naming each bad setting.</summary>
internal sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var failures = new List<string>();
        if (!TryParseAddress(options.ListenAddress, out _))
        {
            failures.Add($"SemCache:Server:ListenAddress '{options.ListenAddress}' is not an IP address (use 127.0.0.1, 0.0.0.0, :: or localhost).");
        }

        if (!TryParseAddress(options.HttpListenAddress, out _))
        {
            failures.Add($"SemCache:Server:HttpListenAddress '{options.HttpListenAddress}' is not an IP address (use 127.0.0.1, 0.0.0.0, :: or localhost).");
        }

        // Keys travel in every call's headers: in clear text off this machine, anyone on the path
        // could take one. A TLS-terminating proxy in front is the one reason to say AllowInsecure.
        if (TryParseAddress(options.ListenAddress, out var grpcAddress) && !IPAddress.IsLoopback(grpcAddress)
            && string.IsNullOrEmpty(options.TlsCertificatePath) && !options.AllowInsecure)
        {
            failures.Add($"SemCache:Server:ListenAddress '{options.ListenAddress}' is not a loopback address and no TlsCertificatePath is set: API keys would cross the network in clear text. Set TlsCertificatePath, or AllowInsecure=true behind a TLS-terminating proxy.");
        }

        if (options.OtlpEndpoint is { Length: > 0 } otlp
            && !(Uri.TryCreate(otlp, UriKind.Absolute, out var otlpUri) && (otlpUri.Scheme == Uri.UriSchemeHttp || otlpUri.Scheme == Uri.UriSchemeHttps)))
        {
            failures.Add($"SemCache:Server:OtlpEndpoint '{otlp}' is not an absolute http or https address.");
        }

        if (options.GrpcPort is < 1 or > 65535)
        {
            failures.Add($"SemCache:Server:GrpcPort (--grpc-port) must be 1 to 65535, got {options.GrpcPort}.");
        }

        if (options.HttpPort is < 0 or > 65535)
        {
            failures.Add($"SemCache:Server:HttpPort (--http-port) must be 0 (off) or 1 to 65535, got {options.HttpPort}.");
        }

        if (options.HttpPort == options.GrpcPort)
        {
            failures.Add($"SemCache:Server:HttpPort and GrpcPort must differ, both are {options.GrpcPort}.");
        }

        if (options.TlsCertificatePath is { Length: > 0 } cert && !File.Exists(cert))
        {
            failures.Add($"SemCache:Server:TlsCertificatePath '{cert}' does not exist.");
        }

        Positive(failures, nameof(options.MaxMessageBytes), options.MaxMessageBytes);
        Positive(failures, nameof(options.MaxBatchSize), options.MaxBatchSize);
        Positive(failures, nameof(options.MaxContextTurns), options.MaxContextTurns);
        Positive(failures, nameof(options.MaxScopeFieldLength), options.MaxScopeFieldLength);
        Positive(failures, nameof(options.MaxSystemPromptLength), options.MaxSystemPromptLength);
        NotNegative(failures, nameof(options.MaxEntriesPerTenant), options.MaxEntriesPerTenant);
        NotNegative(failures, nameof(options.MaxBytesPerTenant), options.MaxBytesPerTenant);
        NotNegative(failures, nameof(options.RequestsPerSecondPerKey), options.RequestsPerSecondPerKey);
        NotNegative(failures, nameof(options.MaxConcurrentLookupsPerTenant), options.MaxConcurrentLookupsPerTenant);
        if (options.RequestBurstPerKey is { } burst)
        {
            Positive(failures, nameof(options.RequestBurstPerKey), burst);
        }

        if (options.LookupDeadlineMargin < TimeSpan.Zero)
        {
            failures.Add($"SemCache:Server:LookupDeadlineMargin must not be negative, got {options.LookupDeadlineMargin}.");
        }

        if (options.DashboardSampleInterval < TimeSpan.FromMilliseconds(100))
        {
            failures.Add($"SemCache:Server:DashboardSampleInterval must be at least 100 ms, got {options.DashboardSampleInterval}.");
        }

        if (!ApiKeyStore.IsValidTenant(options.BootstrapTenant))
        {
            failures.Add($"SemCache:Server:BootstrapTenant '{options.BootstrapTenant}' is not a valid tenant (letters, digits, '-', '_', '.', 1 to 64).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    internal static bool TryParseAddress(string? text, out IPAddress address)
    {
        if (string.Equals(text, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            address = IPAddress.Loopback;
            return true;
        }

        return IPAddress.TryParse(text, out address!);
    }

    private static void Positive(List<string> failures, string name, long value)
    {
        if (value <= 0)
        {
            failures.Add($"SemCache:Server:{name} must be positive, got {value}.");
        }
    }

    private static void NotNegative(List<string> failures, string name, long value)
    {
        if (value < 0)
        {
            failures.Add($"SemCache:Server:{name} must be 0 (no limit) or positive, got {value}.");
        }
    }
}
