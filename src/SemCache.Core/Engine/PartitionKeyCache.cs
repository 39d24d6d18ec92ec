using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace SemCache.Engine;

/// <summary>
/// Partition keys of single-turn requests, by tenant and scope fingerprint. A partition key is a SHA-256
/// over tenant, scope and context; every semantic lookup needs one, and traffic repeats a few (tenant,
/// scope) pairs. The scope fingerprint is the <see cref="ScopeFingerprintCache"/>'s own array, so it is
/// compared by reference: the same array means the same content, hence the same key (a scope hashed
/// again after that cache was cleared only takes a second entry). Bounded: when
/// <paramref name="capacity"/> pairs are held, the next new one clears the map.
/// </summary>
internal sealed class PartitionKeyCache(int capacity)
{
    private readonly ConcurrentDictionary<(string Tenant, byte[] Scope), UInt128> _map = new(Comparer.Instance);

    /// <summary>Pairs held (at most the capacity).</summary>
    public int Count => _map.Count;

    public UInt128 Get(string tenant, byte[] scopeFingerprint, byte[] contextFingerprint)
    {
        // Requests with context have a context fingerprint of their own: hashed each time.
        if (!ScopeKeys.IsNoContext(contextFingerprint) || capacity <= 0)
        {
            return ScopeKeys.PartitionKey(tenant, scopeFingerprint, contextFingerprint);
        }

        if (_map.TryGetValue((tenant, scopeFingerprint), out var key)) { return key; }
        key = ScopeKeys.PartitionKey(tenant, scopeFingerprint, contextFingerprint);
        if (_map.Count >= capacity) { _map.Clear(); }
        _map.TryAdd((tenant, scopeFingerprint), key);
        return key;
    }

    private sealed class Comparer : IEqualityComparer<(string Tenant, byte[] Scope)>
    {
        public static readonly Comparer Instance = new();

        public bool Equals((string Tenant, byte[] Scope) x, (string Tenant, byte[] Scope) y) =>
            ReferenceEquals(x.Scope, y.Scope) && string.Equals(x.Tenant, y.Tenant, StringComparison.Ordinal);

        public int GetHashCode((string Tenant, byte[] Scope) obj) =>
            HashCode.Combine(RuntimeHelpers.GetHashCode(obj.Scope), StringComparer.Ordinal.GetHashCode(obj.Tenant));
    }
}
