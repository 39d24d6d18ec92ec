using Grpc.Core;

namespace SemCache.Server.Auth;

/// <summary>Carries the authenticated caller from the interceptor to the services.</summary>
internal static class CallerContext
{
    private const string IdentityKey = "semcache.identity";

    public static void SetIdentity(this ServerCallContext context, ApiKeyIdentity identity) => context.UserState[IdentityKey] = identity;

    /// <summary>The caller; the interceptor guarantees it for every semcache.v1 method.</summary>
    public static ApiKeyIdentity Identity(this ServerCallContext context) =>
        context.UserState.TryGetValue(IdentityKey, out var value) && value is ApiKeyIdentity identity
            ? identity
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "missing or invalid API key"));
}
