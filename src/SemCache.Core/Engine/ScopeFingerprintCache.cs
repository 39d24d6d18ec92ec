using System.Collections.Concurrent;

namespace SemCache.Engine;

/// <summary>
/// Scope fingerprints of the scopes seen most recently. A scope's fingerprint is a SHA-256 over its
/// whole content, system prompt included, and traffic repeats a handful of scopes, so each distinct
/// scope is hashed once and then found by content equality (an ordinal compare, far cheaper than
/// encoding and hashing). Bounded: when <paramref name="capacity"/> scopes are held, the next new
/// one clears the map, so hostile traffic with ever new scopes costs a re-hash, not memory.
/// </summary>
internal sealed class ScopeFingerprintCache(int capacity)
{
    private readonly ConcurrentDictionary<CacheScope, byte[]> _map = new(ScopeContentComparer.Instance);

    /// <summary>Scopes held (at most the capacity).</summary>
    public int Count => _map.Count;

    public byte[] Get(CacheScope scope)
    {
        if (_map.TryGetValue(scope, out var fingerprint)) { return fingerprint; }
        fingerprint = ScopeKeys.ScopeFingerprint(scope);
        if (capacity <= 0) { return fingerprint; }

        // Keyed by a private copy: the caller may reuse or change its lists after the call.
        var snapshot = scope with
        {
            Tools = scope.Tools?.ToArray(),
            Extra = scope.Extra is null ? null : new SnapshotExtra(scope.Extra),
        };
        if (_map.Count >= capacity) { _map.Clear(); }
        return _map.GetOrAdd(snapshot, fingerprint);
    }

    /// <summary>The cache's own copy of <see cref="CacheScope.Extra"/>: ordinal, whatever the caller's comparer was.</summary>
    private sealed class SnapshotExtra(IReadOnlyDictionary<string, string> extra)
        : Dictionary<string, string>(extra, StringComparer.Ordinal);

    /// <summary>
    /// Equal when the fingerprints are equal by construction: same texts, same sampling, same tools
    /// in the same order (another order only costs a second entry), same extra pairs.
    /// </summary>
    private sealed class ScopeContentComparer : IEqualityComparer<CacheScope>
    {
        public static readonly ScopeContentComparer Instance = new();

        public bool Equals(CacheScope? x, CacheScope? y)
        {
            if (ReferenceEquals(x, y)) { return true; }
            if (x is null || y is null) { return false; }
            return string.Equals(x.Model, y.Model, StringComparison.Ordinal)
                && string.Equals(x.SystemPrompt, y.SystemPrompt, StringComparison.Ordinal)
                && string.Equals(x.SystemPromptHash, y.SystemPromptHash, StringComparison.Ordinal)
                && Equals(x.Sampling, y.Sampling)
                && SameTools(x.Tools, y.Tools)
                && SameExtra(x.Extra, y.Extra);
        }

        public int GetHashCode(CacheScope obj) => HashCode.Combine(
            obj.Model, obj.SystemPrompt, obj.SystemPromptHash, obj.Sampling, obj.Tools?.Count ?? 0, obj.Extra?.Count ?? 0);

        private static bool SameTools(IReadOnlyList<string>? x, IReadOnlyList<string>? y)
        {
            if ((x?.Count ?? 0) != (y?.Count ?? 0)) { return false; }
            for (var i = 0; i < (x?.Count ?? 0); i++)
            {
                if (!string.Equals(x![i], y![i], StringComparison.Ordinal)) { return false; }
            }

            return true;
        }

        private static bool SameExtra(IReadOnlyDictionary<string, string>? x, IReadOnlyDictionary<string, string>? y)
        {
            if ((x?.Count ?? 0) != (y?.Count ?? 0)) { return false; }
            if (x is null || y is null || x.Count == 0) { return true; }

            // Look pairs up in the cache's own (ordinal) copy: a caller's dictionary may ignore case,
            // and "A" and "a" are different scopes. Equal counts and every pair of the other side
            // found there make the two pair sets equal.
            var (own, other) = x is SnapshotExtra ? (x, y) : (y, x);
            if (own is not SnapshotExtra) { return false; }
            foreach (var (key, value) in other)
            {
                if (!own.TryGetValue(key, out var v) || !string.Equals(v, value, StringComparison.Ordinal)) { return false; }
            }

            return true;
        }
    }
}
