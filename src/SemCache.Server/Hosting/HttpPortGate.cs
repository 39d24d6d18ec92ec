using System.Collections.Frozen;
using SemCache.Server.Auth;

namespace SemCache.Server.Hosting;

/// <summary>
/// Decides who may reach what on which port, before any endpoint runs. On the gRPC port (the one
/// exposed to clients) only gRPC answers: everything else is 404 there, whatever is mapped. On the
/// HTTP port (dashboard, <c>/metrics</c>, <c>/healthz</c>) the <c>Host</c> header must name an
/// allowed host (a DNS-rebinding page sends its own name) and, with
/// <see cref="ServerOptions.HttpRequireKey"/>, every path but <c>/healthz</c> needs a key of role
/// metrics or operator.
/// </summary>
internal sealed class HttpPortGate
{
    private readonly ServerOptions _options;
    private readonly ApiKeyStore _keys;
    private readonly FrozenSet<string>? _allowedHosts;

    public HttpPortGate(ServerOptions options, ApiKeyStore keys)
    {
        _options = options;
        _keys = keys;
        _allowedHosts = AllowedHosts(options);
    }

    /// <summary>The configured hosts, or the loopback names and the HTTP listen address; null when any host is allowed.</summary>
    internal static FrozenSet<string>? AllowedHosts(ServerOptions options)
    {
        var configured = options.HttpAllowedHosts;
        if (configured is not null && configured.Split(';', StringSplitOptions.TrimEntries).Contains("*"))
        {
            return null;
        }

        IEnumerable<string> hosts = configured is null
            ? ["localhost", "127.0.0.1", "[::1]", options.HttpListenAddress]
            : configured.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return hosts.Select(h => h.Contains(':', StringComparison.Ordinal) && !h.StartsWith('[') ? "[" + h + "]" : h)
            .ToFrozenSet(StringComparer.OrdinalIgnoreCase);
    }

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value ?? string.Empty;
        var grpc = path.StartsWith("/semcache.", StringComparison.Ordinal) || path.StartsWith("/grpc.", StringComparison.Ordinal);
        if (context.Connection.LocalPort == _options.GrpcPort)
        {
            return grpc ? next(context) : Refuse(context, StatusCodes.Status404NotFound);
        }

        if (grpc)
        {
            // In process (tests) there is one listener; gRPC there needs no HTTP-port rules.
            return next(context);
        }

        // HostString.Host drops the port and brackets an IPv6 address, as AllowedHosts stores it.
        if (_allowedHosts is not null && !_allowedHosts.Contains(context.Request.Host.Host))
        {
            return Refuse(context, StatusCodes.Status400BadRequest);
        }

        if (_options.HttpRequireKey && path != "/healthz")
        {
            if (!_keys.TryAuthenticate(ApiKeyHeader.Read(context.Request.Headers), out var identity))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return Refuse(context, StatusCodes.Status401Unauthorized);
            }

            if (!identity.Role.Allows(ApiKeyRole.Metrics))
            {
                return Refuse(context, StatusCodes.Status403Forbidden);
            }
        }

        return next(context);
    }

    private static Task Refuse(HttpContext context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }
}
