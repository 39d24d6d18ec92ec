using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace SemCache.Cluster.Routing;

/// <summary>
/// Maps a (tenant, scope) to its partition group and back. A group is a hash bucket of a tenant's
/// scopes, so one tenant's hot scopes land in several groups that placement spreads over the silos,
/// while every request of one scope always reaches the same group (the engine keeps one partition per
/// scope and context inside it).
/// </summary>
internal static class GroupRouting
{
    /// <summary>
    /// Separates the tenant from the bucket in the engine tenant of a group copy. Tenants may contain
    /// <c>@</c> but the bucket is digits only, so the last separator always splits a name uniquely.
    /// </summary>
    private const string EngineSeparator = "@@g";

    /// <summary>Longest tenant the cluster accepts: the engine's 128 less the separator and a 4-digit bucket.</summary>
    public const int MaxTenantLength = 128 - 3 - 4;

    /// <summary>Most groups per tenant (the bucket lives in 10 bits of an entry id).</summary>
    public const int MaxGroupsPerTenant = 1024;

    /// <summary>
    /// The bucket of a scope. The hash covers exactly what the engine compares for scope equality, in a
    /// canonical order (tools and extra keys sorted), so two equal scopes always route alike; the
    /// conversation context is left out so that invalidating a scope ("all contexts") is one group's job.
    /// </summary>
    public static int Bucket(string tenant, CacheScope scope, int groups)
    {
        var hash = new XxHash64(seed: 0x5343_4C55);
        Append(hash, tenant);
        Append(hash, scope.Model);
        Append(hash, scope.SystemPrompt);
        Append(hash, scope.SystemPromptHash);
        if (scope.Tools is { } tools)
        {
            foreach (var tool in tools.Order(StringComparer.Ordinal)) { Append(hash, "t:" + tool); }
        }

        if (scope.Sampling is { } s)
        {
            Append(hash, string.Create(CultureInfo.InvariantCulture, $"s:{s.Temperature}|{s.TopP}|{s.TopK}|{s.MaxOutputTokens}|{s.Seed}|{s.ResponseFormat}"));
        }

        if (scope.Extra is { } extra)
        {
            foreach (var pair in extra.OrderBy(p => p.Key, StringComparer.Ordinal)) { Append(hash, "x:" + pair.Key + "=" + pair.Value); }
        }

        return (int)(hash.GetCurrentHashAsUInt64() % (ulong)groups);
    }

    /// <summary>The grain key of a group: <c>bucket/tenant</c> (the tenant may not contain <c>/</c>, the bucket comes first anyway).</summary>
    public static string GroupKey(string tenant, int bucket) => bucket.ToString(CultureInfo.InvariantCulture) + "/" + tenant;

    /// <summary>Splits a grain key made by <see cref="GroupKey"/>.</summary>
    public static (string Tenant, int Bucket) ParseGroupKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (key[(slash + 1)..], int.Parse(key.AsSpan(0, slash), CultureInfo.InvariantCulture));
    }

    /// <summary>The tenant a group's copy uses inside a silo's engine: the group's entries, stats and removals stay apart from every other group's.</summary>
    public static string EngineTenant(string tenant, int bucket) => tenant + EngineSeparator + bucket.ToString(CultureInfo.InvariantCulture);

    /// <summary>The real tenant of an engine tenant made by <see cref="EngineTenant"/>, or null for a name that is not one.</summary>
    public static string? TenantOfEngineTenant(string engineTenant)
    {
        var at = engineTenant.LastIndexOf(EngineSeparator, StringComparison.Ordinal);
        return at > 0 && int.TryParse(engineTenant.AsSpan(at + EngineSeparator.Length), NumberStyles.None, CultureInfo.InvariantCulture, out _) ? engineTenant[..at] : null;
    }

    private static void Append(XxHash64 hash, string? text)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, text?.Length ?? -1);
        hash.Append(length);
        if (text is not null) { hash.Append(Encoding.UTF8.GetBytes(text)); }
    }
}
