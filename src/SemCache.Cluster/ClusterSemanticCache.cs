using System.Text.Json;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using SemCache.Cluster.Grains;
using SemCache.Cluster.Replication;
using SemCache.Cluster.Routing;

namespace SemCache.Cluster;

/// <summary>
/// The <see cref="ISemanticCache"/> a silo's gRPC API calls in cluster mode: it routes each request to
/// the grain of its partition group (tenant × scope bucket), wherever in the cluster that grain is
/// active. The tenant comes from the caller (the server takes it from the API key), as with the engine.
/// </summary>
internal sealed partial class ClusterSemanticCache(
    IGrainFactory grains,
    IOptions<SemCacheClusterOptions> options,
    SiloCopyStore localCopy,
    IClusterMembershipService membership) : ISemanticCache
{
    private readonly SingleFlight<string> _inFlight = new(StringComparer.Ordinal);
    // Taking this silo's copy store opens the engine when the API starts, so a bad data directory stops the server at once.
    private readonly string _silo = localCopy.Silo;

    private int Groups => options.Value.GroupsPerTenant;

    public async ValueTask<CacheLookupResult> LookupAsync(CacheLookupRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var group = Route(request.Tenant, request.Scope, nameof(request.Tenant));
        try
        {
            var reply = await CallAsync(group, g => g.LookupAsync(new LookupCall(request)), cancellationToken).ConfigureAwait(false);
            return reply.Result;
        }
        catch (Exception e) when (IsClusterFailure(e, cancellationToken))
        {
            // The group's grain is unreachable (its silo just died and it has not re-activated yet): a
            // miss, so the caller asks the LLM, as when a lookup runs out of time.
            return CacheLookupResult.Miss(reasons: UnavailableReason);
        }
    }

    public async ValueTask<CacheStoreResult> StoreAsync(CacheStoreRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var group = Route(request.Tenant, request.Scope, nameof(request.Tenant));
        return await CallAsync(group, g => g.StoreAsync(new StoreCall(request)), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<long> InvalidateAsync(CacheInvalidation invalidation, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invalidation);
        CheckTenant(invalidation.Tenant, nameof(invalidation.Tenant));
        if (invalidation.EntryId is { } id)
        {
            var bucket = ClusterEntryId.BucketOf(id);
            if (id <= 0 || bucket >= Groups) { return 0; }
            var call = new InvalidateCall(InvalidationKind.Tag, ClusterEntryId.Tag(id), null);
            return await CallAsync(GroupRouting.GroupKey(invalidation.Tenant, bucket), g => g.InvalidateAsync(call), cancellationToken).ConfigureAwait(false);
        }

        if (invalidation.Scope is { } scope)
        {
            var group = Route(invalidation.Tenant, scope, nameof(invalidation.Tenant));
            return await CallAsync(group, g => g.InvalidateAsync(new InvalidateCall(InvalidationKind.Scope, null, scope)), cancellationToken).ConfigureAwait(false);
        }

        InvalidateCall everywhere;
        if (invalidation.Tag is { } tag)
        {
            if (string.IsNullOrEmpty(tag)) { throw new ArgumentException("Tag is required.", nameof(invalidation)); }
            everywhere = new InvalidateCall(InvalidationKind.Tag, tag, null);
        }
        else
        {
            everywhere = new InvalidateCall(InvalidationKind.Everything, null, null);
        }

        // A tag or a whole tenant may be in any of the tenant's groups.
        var counts = await Task.WhenAll(Enumerable.Range(0, Groups).Select(b =>
            CallAsync(GroupRouting.GroupKey(invalidation.Tenant, b), g => g.InvalidateAsync(everywhere), cancellationToken))).ConfigureAwait(false);
        return counts.Sum();
    }

    public async ValueTask<bool> ReportHitAsync(CacheHitFeedback feedback, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        CheckTenant(feedback.Tenant, nameof(feedback.Tenant));
        var bucket = ClusterEntryId.BucketOf(feedback.EntryId);
        if (feedback.EntryId <= 0 || bucket >= Groups) { return false; }
        return await CallAsync(GroupRouting.GroupKey(feedback.Tenant, bucket), g => g.ReportHitAsync(feedback.EntryId, feedback.Correct), cancellationToken).ConfigureAwait(false);
    }

    // Coalesces identical misses on this silo; two silos receiving the same miss at once each run the factory.
    public ValueTask<CacheGetOrCreateResult> GetOrCreateAsync(
        CacheLookupRequest request,
        Func<CancellationToken, ValueTask<CacheFill>> factory,
        CancellationToken cancellationToken = default) =>
        _inFlight.GetOrCreateAsync(this, request, FlightKey, factory, cancellationToken);

    private static string FlightKey(CacheLookupRequest request) =>
        JsonSerializer.Serialize(request with { MinSimilarity = null, MaxAge = null, Mode = CacheLookupMode.ExactAndSemantic });

    private static readonly string[] UnavailableReason = ["cluster:unavailable"];

    /// <summary>A failure of the cluster rather than of the request: validation errors and the caller's cancellation are not.</summary>
    private static bool IsClusterFailure(Exception e, CancellationToken cancellationToken) =>
        e is not ArgumentException && !(e is OperationCanceledException && cancellationToken.IsCancellationRequested) && e is not OutOfMemoryException;

    /// <summary>The group grain of a request, after the checks routing needs (the engine validates the rest).</summary>
    private string Route(string tenant, CacheScope scope, string tenantField)
    {
        CheckTenant(tenant, tenantField);
        if (scope is null) { throw new ArgumentNullException("Scope", "Scope is required."); }
        if (string.IsNullOrEmpty(scope.Model)) { throw new ArgumentException("Scope.Model is required.", "Scope.Model"); }
        return GroupRouting.GroupKey(tenant, GroupRouting.Bucket(tenant, scope, Groups));
    }

    private static void CheckTenant(string tenant, string field)
    {
        if (string.IsNullOrEmpty(tenant)) { throw new ArgumentException($"{field} is required.", field); }
        if (tenant.Length > GroupRouting.MaxTenantLength)
        {
            throw new ArgumentException($"{field} is {tenant.Length} characters long; in cluster mode at most {GroupRouting.MaxTenantLength} are allowed.", field);
        }
    }

    /// <summary>
    /// Calls a group grain. A group that another coordinator took over mid-call (membership changed) is
    /// called once more, which reaches the new coordinator.
    /// </summary>
    private async Task<T> CallAsync<T>(string group, Func<IPartitionGroupGrain, Task<T>> call, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var grain = grains.GetGrain<IPartitionGroupGrain>(group);
        RequestContext.Set(PartitionGroupGrain.FromSiloKey, _silo);
        try
        {
            return await call(grain).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (StaleGroupException)
        {
            return await call(grain).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
