using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace SemCache.Server.Limits;

/// <summary>
/// Each tenant's share of the engine: at most <see cref="ServerOptions.MaxConcurrentLookupsPerTenant"/>
/// of its lookups run at once, the rest wait their turn within their own deadline. The embedder
/// queue is shared by all tenants, so without this one tenant's LookupBatch of hundreds of prompts
/// would put every other tenant's lookup behind it. One semaphore per tenant that holds a key,
/// so their number is bounded by the keys file.
/// </summary>
internal sealed class TenantLookupShare(IOptions<ServerOptions> options)
{
    private readonly int _share = options.Value.MaxConcurrentLookupsPerTenant;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _slots = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="lookup"/> in one of the tenant's places.</summary>
    public async Task<T> RunAsync<T>(string tenant, Func<CancellationToken, ValueTask<T>> lookup, CancellationToken cancellationToken)
    {
        if (_share == 0)
        {
            return await lookup(cancellationToken);
        }

        var slots = _slots.GetOrAdd(tenant, static (_, share) => new SemaphoreSlim(share, share), _share);
        await slots.WaitAsync(cancellationToken);
        try
        {
            return await lookup(cancellationToken);
        }
        finally
        {
            slots.Release();
        }
    }
}
