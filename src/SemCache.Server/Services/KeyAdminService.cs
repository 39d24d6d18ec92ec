using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using SemCache.Server.Auth;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Services;

/// <summary>semcache.v1.KeyAdmin: create, revoke and list API keys (admin role, checked by the interceptor).</summary>
internal sealed class KeyAdminService(ApiKeyStore keys) : GuardedKeyAdminBase
{
    public override Task<V1.CreateKeyResponse> CreateKey(V1.CreateKeyRequest request, ServerCallContext context)
    {
        var role = request.Role switch
        {
            V1.Role.Read => ApiKeyRole.Read,
            V1.Role.Write => ApiKeyRole.Write,
            V1.Role.Admin => ApiKeyRole.Admin,
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "role must be ROLE_READ, ROLE_WRITE or ROLE_ADMIN")),
        };
        if (!ApiKeyStore.IsValidTenant(request.Tenant))
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "tenant must be 1 to 64 letters, digits, '-', '_' or '.'"));
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

        return Task.FromResult(new V1.RevokeKeyResponse { Revoked = keys.Revoke(request.KeyId) });
    }

    public override Task<V1.ListKeysResponse> ListKeys(V1.ListKeysRequest request, ServerCallContext context)
    {
        var response = new V1.ListKeysResponse();
        foreach (var record in keys.List())
        {
            response.Keys.Add(ToProto(record));
        }

        return Task.FromResult(response);
    }

    private static V1.KeyInfo ToProto(ApiKeyRecord record) => new()
    {
        KeyId = record.Id,
        Tenant = record.Tenant,
        Role = record.Role switch
        {
            ApiKeyRole.Read => V1.Role.Read,
            ApiKeyRole.Write => V1.Role.Write,
            _ => V1.Role.Admin,
        },
        Description = record.Description,
        Created = Timestamp.FromDateTimeOffset(record.Created),
    };
}
