using System.Collections.Concurrent;
using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Client;

/// <summary>
/// <see cref="ISemanticCache"/> over gRPC: the same contract as the embedded engine, answered by a
/// SemCache server. The server takes the tenant from the API key, so the <c>Tenant</c> of requests
/// is not sent; one client speaks for exactly one tenant.
/// </summary>
public sealed class SemanticCacheClient : ISemanticCache, IDisposable
{
    private readonly GrpcChannel? _ownedChannel;
    private readonly V1.SemanticCache.SemanticCacheClient _client;
    private readonly Metadata _headers;
    private readonly TimeSpan? _lookupTimeout;
    private readonly SingleFlight<string> _inFlight = new(StringComparer.Ordinal);

    /// <summary>Creates a client with its own channel to <see cref="SemanticCacheClientOptions.Address"/>.</summary>
    public SemanticCacheClient(SemanticCacheClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ownedChannel = GrpcChannel.ForAddress(options.Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = options.MaxReceiveMessageSize,
        });
        _client = new V1.SemanticCache.SemanticCacheClient(_ownedChannel);
        _headers = CreateHeaders(options.ApiKey, options.CompressRequests);
        _lookupTimeout = options.LookupTimeout;
    }

    /// <summary>Creates a client over an existing channel, which the caller keeps owning.</summary>
    /// <param name="channel">The channel to the server.</param>
    /// <param name="apiKey">The API key; it selects the tenant.</param>
    /// <param name="lookupTimeout">Budget of one lookup; see <see cref="SemanticCacheClientOptions.LookupTimeout"/>.</param>
    public SemanticCacheClient(ChannelBase channel, string apiKey, TimeSpan? lookupTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        if (lookupTimeout is { } timeout && timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(lookupTimeout), timeout, "lookupTimeout must be positive.");
        }

        _client = new V1.SemanticCache.SemanticCacheClient(channel);
        _headers = CreateHeaders(apiKey, compressRequests: false);
        _lookupTimeout = lookupTimeout;
    }

    /// <summary>Builds the metadata that authenticates a call with <paramref name="apiKey"/>.</summary>
    public static Metadata CreateHeaders(string apiKey, bool compressRequests = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        var headers = new Metadata { { "authorization", "Bearer " + apiKey } };
        if (compressRequests)
        {
            headers.Add("grpc-internal-encoding-request", "gzip");
        }

        return headers;
    }

    /// <inheritdoc />
    public async ValueTask<CacheLookupResult> LookupAsync(CacheLookupRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Scope, nameof(request.Scope));
        var message = ProtoMapping.ToProto(request);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await _client.LookupAsync(message, LookupOptions(cancellationToken)).ResponseAsync.ConfigureAwait(false);
            return ProtoMapping.FromProto(response);
        }
        catch (RpcException e) when (BudgetRanOut(e, started, cancellationToken))
        {
            // The budget ran out on the way: a miss lets the caller go to the LLM, as the server would.
            return CacheLookupResult.Miss(reasons: ["deadline"]);
        }
        catch (RpcException e)
        {
            throw Translate(e, cancellationToken);
        }
    }

    /// <summary>Looks several prompts up in one call; results come back in request order.</summary>
    public async ValueTask<IReadOnlyList<CacheLookupResult>> LookupBatchAsync(IReadOnlyList<CacheLookupRequest> requests, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var message = new V1.LookupBatchRequest();
        foreach (var request in requests)
        {
            ArgumentNullException.ThrowIfNull(request, nameof(requests));
            message.Requests.Add(ProtoMapping.ToProto(request));
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await _client.LookupBatchAsync(message, LookupOptions(cancellationToken)).ResponseAsync.ConfigureAwait(false);
            var results = new CacheLookupResult[response.Results.Count];
            for (var i = 0; i < results.Length; i++)
            {
                results[i] = ProtoMapping.FromProto(response.Results[i]);
            }

            return results;
        }
        catch (RpcException e) when (BudgetRanOut(e, started, cancellationToken))
        {
            var misses = new CacheLookupResult[requests.Count];
            Array.Fill(misses, CacheLookupResult.Miss(reasons: ["deadline"]));
            return misses;
        }
        catch (RpcException e)
        {
            throw Translate(e, cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask<CacheStoreResult> StoreAsync(CacheStoreRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.Scope, nameof(request.Scope));
        var message = ProtoMapping.ToProto(request);
        try
        {
            var response = await _client.StoreAsync(message, Options(cancellationToken)).ResponseAsync.ConfigureAwait(false);
            return new CacheStoreResult(response.EntryId, response.Replaced);
        }
        catch (RpcException e)
        {
            throw Translate(e, cancellationToken);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Concurrent identical misses through this client run the factory once; callers in other
    /// processes are not coordinated.
    /// </remarks>
    public ValueTask<CacheGetOrCreateResult> GetOrCreateAsync(
        CacheLookupRequest request,
        Func<CancellationToken, ValueTask<CacheFill>> factory,
        CancellationToken cancellationToken = default) =>
        _inFlight.GetOrCreateAsync(this, request, FlightKey, factory, cancellationToken);

    /// <inheritdoc />
    /// <remarks>The server applies the invalidation to the API key's tenant.</remarks>
    public async ValueTask<long> InvalidateAsync(CacheInvalidation invalidation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invalidation);
        try
        {
            if (invalidation.EntryId is { } id)
            {
                var deleted = await _client.DeleteAsync(new V1.DeleteRequest { EntryId = id }, Options(cancellationToken)).ResponseAsync.ConfigureAwait(false);
                return deleted.Deleted ? 1 : 0;
            }

            var message = new V1.InvalidateRequest();
            if (invalidation.Tag is not null)
            {
                message.Tag = invalidation.Tag;
            }
            else if (invalidation.Scope is not null)
            {
                message.Scope = ProtoMapping.ToProto(invalidation.Scope);
            }
            else
            {
                message.AllEntries = true;
            }

            var response = await _client.InvalidateAsync(message, Options(cancellationToken)).ResponseAsync.ConfigureAwait(false);
            return response.Removed;
        }
        catch (RpcException e)
        {
            throw Translate(e, cancellationToken);
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReportHitAsync(CacheHitFeedback feedback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        try
        {
            var response = await _client.ReportHitAsync(
                new V1.ReportHitRequest { EntryId = feedback.EntryId, Correct = feedback.Correct },
                Options(cancellationToken)).ResponseAsync.ConfigureAwait(false);
            return response.Known;
        }
        catch (RpcException e)
        {
            throw Translate(e, cancellationToken);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// A non-null <paramref name="tenant"/> returns the API key's tenant (the server never reveals
    /// another); null asks for the whole cache, which needs an admin key.
    /// </remarks>
    public async ValueTask<CacheStats> GetStatsAsync(string? tenant, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await _client.StatsAsync(new V1.StatsRequest { AllTenants = tenant is null }, Options(cancellationToken)).ResponseAsync.ConfigureAwait(false);
            return ProtoMapping.FromProto(response);
        }
        catch (RpcException e)
        {
            throw Translate(e, cancellationToken);
        }
    }

    /// <summary>Closes the channel when this client created it.</summary>
    public void Dispose() => _ownedChannel?.Dispose();

    private CallOptions Options(CancellationToken cancellationToken) => new(_headers, cancellationToken: cancellationToken);

    private CallOptions LookupOptions(CancellationToken cancellationToken) =>
        new(_headers, _lookupTimeout is { } budget ? DateTime.UtcNow + budget : null, cancellationToken);

    /// <summary>
    /// True when a lookup failed because its budget ran out rather than because the caller
    /// cancelled: DeadlineExceeded, or the call torn down once the budget had elapsed (the server
    /// may see the client's cancellation before its own deadline and answer Cancelled).
    /// </summary>
    private bool BudgetRanOut(RpcException e, long started, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested
        && (e.StatusCode == StatusCode.DeadlineExceeded
            || (e.StatusCode == StatusCode.Cancelled && _lookupTimeout is { } budget && Stopwatch.GetElapsedTime(started) >= budget));

    private static string FlightKey(CacheLookupRequest request)
    {
        var message = ProtoMapping.ToProto(request with { MinSimilarity = null, MaxAge = null, Mode = CacheLookupMode.ExactAndSemantic });
        return Convert.ToBase64String(message.ToByteArray());
    }

    private static Exception Translate(RpcException e, CancellationToken cancellationToken) => e.StatusCode switch
    {
        StatusCode.InvalidArgument or StatusCode.OutOfRange => new ArgumentException(e.Status.Detail, e),
        StatusCode.Unauthenticated or StatusCode.PermissionDenied => new UnauthorizedAccessException(e.Status.Detail, e),
        StatusCode.Cancelled when cancellationToken.IsCancellationRequested => new OperationCanceledException(e.Status.Detail, e, cancellationToken),
        _ => e,
    };
}
