using System.Text;
using Grpc.Core;
using Microsoft.Extensions.Options;
using V1 = SemCache.Grpc.V1;

namespace SemCache.Server.Limits;

/// <summary>
/// Hard per-tenant quotas: a store that would go past the entries or bytes a tenant may hold is
/// refused with ResourceExhausted (the engine's own capacity limits evict instead of refusing).
/// </summary>
internal sealed class TenantQuotas(ISemanticCache cache, IOptions<ServerOptions> options)
{
    private readonly long _maxEntries = options.Value.MaxEntriesPerTenant;
    private readonly long _maxBytes = options.Value.MaxBytesPerTenant;

    public async ValueTask EnsureRoomAsync(string tenant, V1.StoreRequest request, CancellationToken cancellationToken)
    {
        if (_maxEntries == 0 && _maxBytes == 0)
        {
            return;
        }

        var stats = await cache.GetStatsAsync(tenant, cancellationToken);
        if (_maxEntries > 0 && stats.Entries >= _maxEntries)
        {
            throw RichStatus.ResourceExhausted(
                "tenant:" + tenant,
                "MaxEntriesPerTenant",
                $"tenant holds {stats.Entries} entries; the limit MaxEntriesPerTenant is {_maxEntries}");
        }

        if (_maxBytes > 0)
        {
            var size = Encoding.UTF8.GetByteCount(request.Prompt) + Encoding.UTF8.GetByteCount(request.Response) + (request.Vector.Count * sizeof(float));
            if (stats.Bytes + size > _maxBytes)
            {
                throw RichStatus.ResourceExhausted(
                    "tenant:" + tenant,
                    "MaxBytesPerTenant",
                    $"tenant holds {stats.Bytes} bytes and the entry needs about {size} more; the limit MaxBytesPerTenant is {_maxBytes}");
            }
        }
    }
}
