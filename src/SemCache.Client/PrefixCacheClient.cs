using Grpc.Core;
using Grpc.Net.Client;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Client;

/// <summary>
/// <see cref="IPrefixCache"/> over gRPC (service <c>semcache.v1.PrefixCache</c>). The server takes the tenant from
/// the API key, so the <c>Tenant</c> of requests is not sent; one client speaks for exactly one tenant.
/// </summary>
public sealed class PrefixCacheClient : IPrefixCache, IDisposable
{
    private readonly GrpcChannel? _ownedChannel;
    private readonly V1.PrefixCache.PrefixCacheClient _client;
    private readonly Metadata _headers;

    /// <summary>Creates a client with its own channel to <see cref="SemanticCacheClientOptions.Address"/>.</summary>
    public PrefixCacheClient(SemanticCacheClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ownedChannel = GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions { MaxReceiveMessageSize = options.MaxReceiveMessageSize });
        _client = new V1.PrefixCache.PrefixCacheClient(_ownedChannel);
        _headers = SemanticCacheClient.CreateHeaders(options.ApiKey, options.CompressRequests);
    }

    /// <summary>Creates a client over an existing channel, which the caller keeps owning.</summary>
    /// <param name="channel">The channel to the server.</param>
    /// <param name="apiKey">The API key; it selects the tenant.</param>
    public PrefixCacheClient(ChannelBase channel, string apiKey)
    {
        ArgumentNullException.ThrowIfNull(channel);
        _client = new V1.PrefixCache.PrefixCacheClient(channel);
        _headers = SemanticCacheClient.CreateHeaders(apiKey);
    }

    /// <inheritdoc />
    public async ValueTask RegisterBackendAsync(string tenant, PrefixBackend backend, CancellationToken cancellationToken = default)
    {
        var message = new V1.RegisterBackendRequest { Backend = PrefixProtoMapping.ToProto(backend) };
        await _client.RegisterBackendAsync(message, _headers, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> RemoveBackendAsync(string tenant, string backendId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backendId);
        var response = await _client.RemoveBackendAsync(new V1.RemoveBackendRequest { BackendId = backendId }, _headers, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        return response.Removed;
    }

    /// <inheritdoc />
    public async ValueTask<KvEventsResult> ApplyKvEventsAsync(string tenant, string backendId, IAsyncEnumerable<KvEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backendId);
        ArgumentNullException.ThrowIfNull(events);
        using var call = _client.StreamKvEvents(_headers, cancellationToken: cancellationToken);
        await foreach (var e in events.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            await call.RequestStream.WriteAsync(PrefixProtoMapping.ToProto(e, backendId), cancellationToken).ConfigureAwait(false);
        }

        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        return PrefixProtoMapping.FromProto(await call.ResponseAsync.ConfigureAwait(false));
    }

    /// <inheritdoc />
    public async ValueTask<PrefixMatchResult> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = await _client.PrefixMatchAsync(PrefixProtoMapping.ToProto(request), _headers, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        return PrefixProtoMapping.FromProto(response);
    }

    /// <inheritdoc />
    public async ValueTask<PrefixExplanation> ExplainAsync(PrefixExplainRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var message = new V1.ExplainPrefixRequest { Prompt = PrefixProtoMapping.ToProto(request.Prompt) };
        if (request.BackendId is not null) { message.BackendId = request.BackendId; }
        var response = await _client.ExplainPrefixAsync(message, _headers, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        return PrefixProtoMapping.FromProto(response);
    }

    /// <inheritdoc />
    public async ValueTask<PrefixUsageResult> ReportUsageAsync(PrefixUsageReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        var message = new V1.ReportUsageRequest { BackendId = report.BackendId, Prompt = PrefixProtoMapping.ToProto(report.Prompt) };
        if (report.CachedTokensReported is { } reported) { message.CachedTokensReported = reported; }
        var response = await _client.ReportUsageAsync(message, _headers, cancellationToken: cancellationToken).ResponseAsync.ConfigureAwait(false);
        return new PrefixUsageResult(response.PromptTokens, response.PredictedCachedTokens, response.HasReportedCachedTokens ? response.ReportedCachedTokens : null);
    }

    /// <inheritdoc />
    public void Dispose() => _ownedChannel?.Dispose();
}
