using System.Collections.Frozen;

namespace SemCache.Server.Auth;

/// <summary>
/// The semcache.v1 methods, each with the role it needs, numbered once: a call looks its method up
/// once and gets everything per-method from the number (the role here, the metric tags in
/// <see cref="Hosting.ServerMetrics"/>), instead of one lookup per concern.
/// </summary>
internal static class MethodIndex
{
    /// <summary>What a method name not in the table gets.</summary>
    public const int Unknown = -1;

    private static readonly (string Method, ApiKeyRole Role)[] Table =
    [
        ("/semcache.v1.SemanticCache/Lookup", ApiKeyRole.Read),
        ("/semcache.v1.SemanticCache/LookupBatch", ApiKeyRole.Read),
        ("/semcache.v1.SemanticCache/Stats", ApiKeyRole.Read),
        ("/semcache.v1.SemanticCache/Store", ApiKeyRole.Write),
        ("/semcache.v1.SemanticCache/Invalidate", ApiKeyRole.Write),
        ("/semcache.v1.SemanticCache/Delete", ApiKeyRole.Write),
        ("/semcache.v1.SemanticCache/ReportHit", ApiKeyRole.Write),
        ("/semcache.v1.PrefixCache/RegisterBackend", ApiKeyRole.Write),
        ("/semcache.v1.PrefixCache/RemoveBackend", ApiKeyRole.Write),
        ("/semcache.v1.PrefixCache/StreamKvEvents", ApiKeyRole.Write),
        ("/semcache.v1.PrefixCache/PrefixMatch", ApiKeyRole.Read),
        ("/semcache.v1.PrefixCache/ExplainPrefix", ApiKeyRole.Read),
        ("/semcache.v1.PrefixCache/ReportUsage", ApiKeyRole.Write),
        ("/semcache.v1.KeyAdmin/CreateKey", ApiKeyRole.Admin),
        ("/semcache.v1.KeyAdmin/RevokeKey", ApiKeyRole.Admin),
        ("/semcache.v1.KeyAdmin/ListKeys", ApiKeyRole.Admin),
    ];

    private static readonly FrozenDictionary<string, int> Numbers =
        Table.Select((entry, i) => KeyValuePair.Create(entry.Method, i)).ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The method names, in the order of their numbers.</summary>
    public static IReadOnlyList<string> Methods { get; } = [.. Table.Select(t => t.Method)];

    /// <summary>The method's number, or <see cref="Unknown"/>.</summary>
    public static int Of(string method) => Numbers.TryGetValue(method, out var i) ? i : Unknown;

    /// <summary>The role a known method needs.</summary>
    public static ApiKeyRole RoleOf(int method) => Table[method].Role;
}
