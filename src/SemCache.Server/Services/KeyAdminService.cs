using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using SemCache.Server.Auth;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Services;

/// <summary>
/// semcache.v1.KeyAdmin: create, revoke and list API keys. The interceptor has checked the admin
/// role; here the tenant scope is applied: an admin key sees and manages only its own tenant's keys
/// (another tenant's key is answered as unknown, so its existence does not leak), and only an
/// operator key manages every tenant and creates operator or metrics keys.
/// </summary>
internal sealed class KeyAdminService(ApiKeyStore keys) : GuardedKeyAdminBase
{
    public override Task<V1.CreateKeyResponse> CreateKey(V1.CreateKeyRequest request, ServerCallContext context)
    {
        var caller = context.Identity();
        var role = FromProto(request.Role)
            ?? throw new RpcException(new Status(StatusCode.InvalidArgument, "role must be ROLE_READ, ROLE_WRITE, ROLE_ADMIN, ROLE_OPERATOR or ROLE_METRICS"));
        if (!ApiKeyStore.IsValidTenant(request.Tenant))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "tenant must be 1 to 64 letters, digits, '-', '_' or '.'"));
        }

        if (!caller.Role.SpansTenants())
        {
            if (request.Tenant != caller.Tenant)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, "an admin key creates keys for its own tenant only; other tenants need an operator key"));
            }

            if (role is ApiKeyRole.Operator or ApiKeyRole.Metrics)
            {
                throw new RpcException(new Status(StatusCode.PermissionDenied, $"only an operator key may create a key of role '{role.Name()}'"));
            }
        }

        var (record, secret) = keys.Create(request.Tenant, role, request.Description);
        return Task.FromResult(new V1.CreateKeyResponse { Key = ToProto(record), Secret = secret });
    }

    public override Task<V1.RevokeKeyResponse> RevokeKey(V1.RevokeKeyRequest request, ServerCallContext context)
    {
        if (request.KeyId.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "key_id is required"));
        }

        var caller = context.Identity();
        var revoked = keys.Revoke(request.KeyId, caller.Role.SpansTenants() ? null : caller.Tenant);
        return Task.FromResult(new V1.RevokeKeyResponse { Revoked = revoked });
    }

    public override Task<V1.ListKeysResponse> ListKeys(V1.ListKeysRequest request, ServerCallContext context)
    {
        var caller = context.Identity();
        var response = new V1.ListKeysResponse();
        foreach (var record in keys.List())
        {
            if (caller.Role.SpansTenants() || record.Tenant == caller.Tenant)
            {
                response.Keys.Add(ToProto(record));
            }
        }

        return Task.FromResult(response);
    }

    private static ApiKeyRole? FromProto(V1.Role role) => role switch
    {
        V1.Role.Read => ApiKeyRole.Read,
        V1.Role.Write => ApiKeyRole.Write,
        V1.Role.Admin => ApiKeyRole.Admin,
        V1.Role.Operator => ApiKeyRole.Operator,
        V1.Role.Metrics => ApiKeyRole.Metrics,
        _ => null,
    };

    private static V1.KeyInfo ToProto(ApiKeyRecord record) => new()
    {
        KeyId = record.Id,
        Tenant = record.Tenant,
        Role = record.Role switch
        {
            ApiKeyRole.Read => V1.Role.Read,
            ApiKeyRole.Write => V1.Role.Write,
            ApiKeyRole.Admin => V1.Role.Admin,
            ApiKeyRole.Operator => V1.Role.Operator,
            ApiKeyRole.Metrics => V1.Role.Metrics,
            _ => V1.Role.Unspecified,
        },
        Description = record.Description,
        Created = Timestamp.FromDateTimeOffset(record.Created),
    };
}
