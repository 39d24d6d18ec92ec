using Grpc.Core;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Services;

/// <summary>
/// semcache.v1.SemanticCache bound with <see cref="GuardedMethods"/> descriptors. gRPC requires the
/// handlers to override methods of the type that carries the bind attribute, hence this base.
/// </summary>
[BindServiceMethod(typeof(GuardedSemanticCacheBase), nameof(BindService))]
internal abstract class GuardedSemanticCacheBase
{
    private const string Name = "semcache.v1.SemanticCache";

    /// <summary>Read by server reflection.</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => V1.SemanticCache.Descriptor;

    public abstract Task<V1.LookupResponse> Lookup(V1.LookupRequest request, ServerCallContext context);

    public abstract Task<V1.LookupBatchResponse> LookupBatch(V1.LookupBatchRequest request, ServerCallContext context);

    public abstract Task<V1.StoreResponse> Store(V1.StoreRequest request, ServerCallContext context);

    public abstract Task<V1.InvalidateResponse> Invalidate(V1.InvalidateRequest request, ServerCallContext context);

    public abstract Task<V1.DeleteResponse> Delete(V1.DeleteRequest request, ServerCallContext context);

    public abstract Task<V1.StatsResponse> Stats(V1.StatsRequest request, ServerCallContext context);

    public abstract Task<V1.ReportHitResponse> ReportHit(V1.ReportHitRequest request, ServerCallContext context);

    public static void BindService(ServiceBinderBase binder, GuardedSemanticCacheBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(GuardedMethods.Unary<V1.LookupRequest, V1.LookupResponse>(Name, "Lookup", V1.LookupRequest.Parser), service is null ? null : service.Lookup);
        binder.AddMethod(GuardedMethods.Unary<V1.LookupBatchRequest, V1.LookupBatchResponse>(Name, "LookupBatch", V1.LookupBatchRequest.Parser), service is null ? null : service.LookupBatch);
        binder.AddMethod(GuardedMethods.Unary<V1.StoreRequest, V1.StoreResponse>(Name, "Store", V1.StoreRequest.Parser), service is null ? null : service.Store);
        binder.AddMethod(GuardedMethods.Unary<V1.InvalidateRequest, V1.InvalidateResponse>(Name, "Invalidate", V1.InvalidateRequest.Parser), service is null ? null : service.Invalidate);
        binder.AddMethod(GuardedMethods.Unary<V1.DeleteRequest, V1.DeleteResponse>(Name, "Delete", V1.DeleteRequest.Parser), service is null ? null : service.Delete);
        binder.AddMethod(GuardedMethods.Unary<V1.StatsRequest, V1.StatsResponse>(Name, "Stats", V1.StatsRequest.Parser), service is null ? null : service.Stats);
        binder.AddMethod(GuardedMethods.Unary<V1.ReportHitRequest, V1.ReportHitResponse>(Name, "ReportHit", V1.ReportHitRequest.Parser), service is null ? null : service.ReportHit);
    }
}

/// <summary>semcache.v1.KeyAdmin bound with <see cref="GuardedMethods"/> descriptors.</summary>
[BindServiceMethod(typeof(GuardedKeyAdminBase), nameof(BindService))]
internal abstract class GuardedKeyAdminBase
{
    private const string Name = "semcache.v1.KeyAdmin";

    /// <summary>Read by server reflection.</summary>
    public static Google.Protobuf.Reflection.ServiceDescriptor Descriptor => V1.KeyAdmin.Descriptor;

    public abstract Task<V1.CreateKeyResponse> CreateKey(V1.CreateKeyRequest request, ServerCallContext context);

    public abstract Task<V1.RevokeKeyResponse> RevokeKey(V1.RevokeKeyRequest request, ServerCallContext context);

    public abstract Task<V1.ListKeysResponse> ListKeys(V1.ListKeysRequest request, ServerCallContext context);

    public static void BindService(ServiceBinderBase binder, GuardedKeyAdminBase? service)
    {
        ArgumentNullException.ThrowIfNull(binder);
        binder.AddMethod(GuardedMethods.Unary<V1.CreateKeyRequest, V1.CreateKeyResponse>(Name, "CreateKey", V1.CreateKeyRequest.Parser), service is null ? null : service.CreateKey);
        binder.AddMethod(GuardedMethods.Unary<V1.RevokeKeyRequest, V1.RevokeKeyResponse>(Name, "RevokeKey", V1.RevokeKeyRequest.Parser), service is null ? null : service.RevokeKey);
        binder.AddMethod(GuardedMethods.Unary<V1.ListKeysRequest, V1.ListKeysResponse>(Name, "ListKeys", V1.ListKeysRequest.Parser), service is null ? null : service.ListKeys);
    }
}
