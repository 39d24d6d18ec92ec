using System.Diagnostics;
using Grpc.Core;
using Microsoft.Extensions.Options;
using SemCache.Client;
using SemCache.Server.Auth;
using SemCache.Server.Dashboard;
using SemCache.Server.Hosting;
using SemCache.Server.Limits;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Services;

/// <summary>
/// semcache.v1.SemanticCache over <see cref="ISemanticCache"/>. Thin by design: validate against
/// the limits, take the tenant from the caller's key, call the engine, map the result.
/// </summary>
internal sealed class SemanticCacheService(
    ISemanticCache cache,
    RequestLimits limits,
    TenantQuotas quotas,
    DashboardRecorder dashboard,
    ServerMetrics metrics,
    TenantLookupShare share,
    IOptions<ServerOptions> options) : GuardedSemanticCacheBase
{
    private static readonly IReadOnlyList<string> DeadlineReason = ["deadline"];
    private readonly TimeSpan _deadlineMargin = options.Value.LookupDeadlineMargin;

    public override async Task<V1.LookupResponse> Lookup(V1.LookupRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        limits.Check(request);
        var result = await LookupWithinDeadline(ProtoMapping.FromProto(request, tenant), context);
        return ProtoMapping.ToProto(result);
    }

    public override async Task<V1.LookupBatchResponse> LookupBatch(V1.LookupBatchRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        if (request.Requests.Count > limits.MaxBatchSize)
        {
            throw new RpcException(new Status(
                StatusCode.InvalidArgument,
                $"requests has {request.Requests.Count} lookups; the limit MaxBatchSize is {limits.MaxBatchSize}"));
        }

        // Validate everything first: a batch with one bad lookup is refused whole.
        for (var i = 0; i < request.Requests.Count; i++)
        {
            limits.Check(request.Requests[i], $"requests[{i}]");
        }

        // One engine call: it embeds the prompts in batches and scores them together.
        var lookups = new CacheLookupRequest[request.Requests.Count];
        for (var i = 0; i < lookups.Length; i++)
        {
            lookups[i] = ProtoMapping.FromProto(request.Requests[i], tenant);
        }

        var started = Stopwatch.GetTimestamp();
        var results = await WithinDeadline(
            // The whole batch is one engine call (it embeds and scores the lookups together) and takes one of the
            // tenant's places (harden's per-tenant share), so a large batch cannot crowd out other tenants' lookups.
            token => new ValueTask<IReadOnlyList<CacheLookupResult>>(share.RunAsync(tenant, ct => cache.LookupBatchAsync(lookups, ct), token)),
            () => Enumerable.Repeat(CacheLookupResult.Miss(reasons: DeadlineReason), lookups.Length).ToArray(),
            context);
        var elapsed = Stopwatch.GetElapsedTime(started) / Math.Max(1, results.Count);
        var response = new V1.LookupBatchResponse();
        foreach (var result in results)
        {
            dashboard.RecordLookup(result, elapsed);
            metrics.RecordLookup(result.Kind);
            response.Results.Add(ProtoMapping.ToProto(result));
        }

        return response;
    }

    /// <summary>
    /// Runs <paramref name="run"/> within the caller's deadline less a margin; when the budget runs
    /// out the answer is <paramref name="onDeadline"/> (misses with reason <c>deadline</c>).
    /// </summary>
    private async Task<T> WithinDeadline<T>(Func<CancellationToken, ValueTask<T>> run, Func<T> onDeadline, ServerCallContext context)
    {
        if (context.Deadline == DateTime.MaxValue)
        {
            return await run(context.CancellationToken);
        }

        var budget = context.Deadline - DateTime.UtcNow - _deadlineMargin;
        if (budget <= TimeSpan.Zero)
        {
            return onDeadline();
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        timeout.CancelAfter(budget);
        try
        {
            return await run(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested
            && (!context.CancellationToken.IsCancellationRequested || DateTime.UtcNow >= context.Deadline - _deadlineMargin))
        {
            return onDeadline();
        }
    }

    public override async Task<V1.StoreResponse> Store(V1.StoreRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        limits.Check(request);
        await quotas.EnsureRoomAsync(tenant, request, context.CancellationToken);
        var result = await cache.StoreAsync(ProtoMapping.FromProto(request, tenant), context.CancellationToken);
        dashboard.RecordStore();
        return new V1.StoreResponse { EntryId = result.EntryId, Replaced = result.Replaced };
    }

    public override async Task<V1.InvalidateResponse> Invalidate(V1.InvalidateRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        CacheInvalidation invalidation;
        switch (request.TargetCase)
        {
            case V1.InvalidateRequest.TargetOneofCase.Tag:
                if (request.Tag.Length == 0)
                {
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "tag must not be empty"));
                }

                invalidation = CacheInvalidation.ForTag(tenant, request.Tag);
                break;
            case V1.InvalidateRequest.TargetOneofCase.Scope:
                limits.CheckScope(request.Scope, "scope");
                invalidation = CacheInvalidation.ForScope(tenant, ProtoMapping.FromProto(request.Scope));
                break;
            case V1.InvalidateRequest.TargetOneofCase.AllEntries when request.AllEntries:
                invalidation = CacheInvalidation.ForTenant(tenant);
                break;
            default:
                throw new RpcException(new Status(StatusCode.InvalidArgument, "set one of tag, scope or all_entries=true"));
        }

        var removed = await cache.InvalidateAsync(invalidation, context.CancellationToken);
        return new V1.InvalidateResponse { Removed = removed };
    }

    public override async Task<V1.DeleteResponse> Delete(V1.DeleteRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        if (request.EntryId <= 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "entry_id must be positive"));
        }

        var removed = await cache.InvalidateAsync(CacheInvalidation.ForEntry(tenant, request.EntryId), context.CancellationToken);
        return new V1.DeleteResponse { Deleted = removed > 0 };
    }

    public override async Task<V1.StatsResponse> Stats(V1.StatsRequest request, ServerCallContext context)
    {
        var identity = context.Identity();
        if (request.AllTenants && !identity.Role.SpansTenants())
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "all_tenants needs an operator key"));
        }

        var stats = await cache.GetStatsAsync(request.AllTenants ? null : identity.Tenant, context.CancellationToken);
        return ProtoMapping.ToProto(stats);
    }

    public override async Task<V1.ReportHitResponse> ReportHit(V1.ReportHitRequest request, ServerCallContext context)
    {
        var tenant = context.Identity().Tenant;
        if (request.EntryId <= 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "entry_id must be positive"));
        }

        var known = await cache.ReportHitAsync(new CacheHitFeedback(tenant, request.EntryId, request.Correct), context.CancellationToken);
        return new V1.ReportHitResponse { Known = known };
    }

    /// <summary>
    /// Runs the lookup within the caller's deadline less a margin; when the budget runs out the
    /// answer is a MISS with reason <c>deadline</c>, which still reaches the caller in time.
    /// </summary>
    private async Task<CacheLookupResult> LookupWithinDeadline(CacheLookupRequest request, ServerCallContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await WithinDeadline(
            token => new ValueTask<CacheLookupResult>(share.RunAsync(request.Tenant, ct => cache.LookupAsync(request, ct), token)),
            static () => CacheLookupResult.Miss(reasons: DeadlineReason),
            context);
        dashboard.RecordLookup(result, Stopwatch.GetElapsedTime(started));
        metrics.RecordLookup(result.Kind);
        return result;
    }
}
