using System.Runtime.CompilerServices;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SemCache.Client;
using SemCache.Server.Auth;
using SemCache.Server.Hosting;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Services;

/// <summary>
/// semcache.v1.PrefixCache over <see cref="IPrefixCache"/>: the tenant always comes from the caller's key (so its
/// hash seed is derived here, on the server, from the secret and the tenant's salt); the index validates the rest.
/// </summary>
internal sealed class PrefixService(IPrefixCache prefix) : GuardedPrefixCacheBase
{
    public override async Task<V1.RegisterBackendResponse> RegisterBackend(V1.RegisterBackendRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        await prefix.RegisterBackendAsync(tenant, PrefixProtoMapping.FromProto(request.Backend), context.CancellationToken);
        return new V1.RegisterBackendResponse();
    }

    public override async Task<V1.RemoveBackendResponse> RemoveBackend(V1.RemoveBackendRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        return new V1.RemoveBackendResponse { Removed = await prefix.RemoveBackendAsync(tenant, request.BackendId, context.CancellationToken) };
    }

    public override async Task<V1.KvEventsSummary> StreamKvEvents(IAsyncStreamReader<V1.KvEventMessage> requestStream, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        if (!await requestStream.MoveNext(context.CancellationToken))
        {
            return new V1.KvEventsSummary();
        }

        var first = requestStream.Current;
        var result = await prefix.ApplyKvEventsAsync(tenant, first.BackendId, Events(first, requestStream, context.CancellationToken), context.CancellationToken);
        return PrefixProtoMapping.ToProto(result);
    }

    public override async Task<V1.PrefixMatchResponse> PrefixMatch(V1.PrefixMatchRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        var result = await prefix.MatchAsync(PrefixProtoMapping.FromProto(request, tenant), context.CancellationToken);
        return PrefixProtoMapping.ToProto(result);
    }

    public override async Task<V1.ExplainPrefixResponse> ExplainPrefix(V1.ExplainPrefixRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        var explanation = await prefix.ExplainAsync(
            new PrefixExplainRequest { Tenant = tenant, Prompt = PrefixProtoMapping.FromProto(request.Prompt), BackendId = request.HasBackendId ? request.BackendId : null },
            context.CancellationToken);
        return PrefixProtoMapping.ToProto(explanation);
    }

    public override async Task<V1.ReportUsageResponse> ReportUsage(V1.ReportUsageRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        var result = await prefix.ReportUsageAsync(
            new PrefixUsageReport
            {
                Tenant = tenant,
                BackendId = request.BackendId,
                Prompt = PrefixProtoMapping.FromProto(request.Prompt),
                CachedTokensReported = request.HasCachedTokensReported ? request.CachedTokensReported : null,
            },
            context.CancellationToken);
        var response = new V1.ReportUsageResponse { PromptTokens = result.PromptTokens, PredictedCachedTokens = result.PredictedCachedTokens };
        if (result.ReportedCachedTokens is { } reported) { response.ReportedCachedTokens = reported; }
        return response;
    }

    /// <summary>The stream's events; one stream speaks for one backend, so a message naming another is refused.</summary>
    private static async IAsyncEnumerable<KvEvent> Events(V1.KvEventMessage first, IAsyncStreamReader<V1.KvEventMessage> stream, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return PrefixProtoMapping.FromProto(first);
        while (await stream.MoveNext(cancellationToken))
        {
            var message = stream.Current;
            if (message.BackendId.Length > 0 && message.BackendId != first.BackendId)
            {
                throw new ArgumentException($"a KV event stream speaks for one backend ('{first.BackendId}'), not '{message.BackendId}'", "backend_id");
            }

            yield return PrefixProtoMapping.FromProto(message);
        }
    }
}

/// <summary>semcache.v1.PrefixCache bound with <see cref="GuardedMethods"/> descriptors (malformed protobuf is InvalidArgument).</summary>
[BindServiceMethod(typeof(GuardedPrefixCacheBase), nameof(BindService))]
internal abstract class GuardedPrefixCacheBase
{
    private const string Name = "semcache.v1.PrefixCache";

    /// <summary>Read by server reflection.</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => V1.PrefixCache.Descriptor;

    public abstract Task<V1.RegisterBackendResponse> RegisterBackend(V1.RegisterBackendRequest request, ServerCallContext context);

    public abstract Task<V1.RemoveBackendResponse> RemoveBackend(V1.RemoveBackendRequest request, ServerCallContext context);

    public abstract Task<V1.KvEventsSummary> StreamKvEvents(IAsyncStreamReader<V1.KvEventMessage> requestStream, ServerCallContext context);

    public abstract Task<V1.PrefixMatchResponse> PrefixMatch(V1.PrefixMatchRequest request, ServerCallContext context);

    public abstract Task<V1.ExplainPrefixResponse> ExplainPrefix(V1.ExplainPrefixRequest request, ServerCallContext context);

    public abstract Task<V1.ReportUsageResponse> ReportUsage(V1.ReportUsageRequest request, ServerCallContext context);

    public static void BindService(ServiceBinderBase binder, GuardedPrefixCacheBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(GuardedMethods.Unary<V1.RegisterBackendRequest, V1.RegisterBackendResponse>(Name, "RegisterBackend", V1.RegisterBackendRequest.Parser), service is null ? null : service.RegisterBackend);
        binder.AddMethod(GuardedMethods.Unary<V1.RemoveBackendRequest, V1.RemoveBackendResponse>(Name, "RemoveBackend", V1.RemoveBackendRequest.Parser), service is null ? null : service.RemoveBackend);

        // The guarded marshallers of a unary descriptor serve the stream's messages just as well.
        var events = GuardedMethods.Unary<V1.KvEventMessage, V1.KvEventsSummary>(Name, "StreamKvEvents", V1.KvEventMessage.Parser);
        binder.AddMethod(
            new Method<V1.KvEventMessage, V1.KvEventsSummary>(MethodType.ClientStreaming, Name, "StreamKvEvents", events.RequestMarshaller, events.ResponseMarshaller),
            service is null ? null : service.StreamKvEvents);
        binder.AddMethod(GuardedMethods.Unary<V1.PrefixMatchRequest, V1.PrefixMatchResponse>(Name, "PrefixMatch", V1.PrefixMatchRequest.Parser), service is null ? null : service.PrefixMatch);
        binder.AddMethod(GuardedMethods.Unary<V1.ExplainPrefixRequest, V1.ExplainPrefixResponse>(Name, "ExplainPrefix", V1.ExplainPrefixRequest.Parser), service is null ? null : service.ExplainPrefix);
        binder.AddMethod(GuardedMethods.Unary<V1.ReportUsageRequest, V1.ReportUsageResponse>(Name, "ReportUsage", V1.ReportUsageRequest.Parser), service is null ? null : service.ReportUsage);
    }
}

/// <summary>The prefix service's registration, kept here so the host's files change by one line each.</summary>
internal static class PrefixServiceRegistration
{
    /// <summary>
    /// The index (section <c>SemCache:Prefix</c>), priced by the table of <c>SemCache:PricingFile</c> over the
    /// shipped list prices when that option is set.
    /// </summary>
    public static void AddPrefixService(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PrefixCacheOptions>().Bind(configuration.GetSection("SemCache:Prefix"));
        services.TryAddSingleton(_ => configuration["SemCache:PricingFile"] is { Length: > 0 } path
            ? PricingTable.Default.With(PricingTable.Load(path))
            : PricingTable.Default);
        services.AddPrefixCache();
    }

    /// <summary>
    /// Maps the service. Its calls are rate limited per key like the cache's when a limit is configured: the server
    /// call interceptor charges every authenticated call, client streams included.
    /// </summary>
    public static void MapPrefixService(this WebApplication app) => app.MapGrpcService<PrefixService>();
}
