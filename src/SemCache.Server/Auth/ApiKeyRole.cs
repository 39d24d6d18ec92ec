namespace SemCache.Server.Auth;

/// <summary>
/// What a key may do. Read, Write and Admin act on the key's own tenant and each includes the ones
/// below it; Operator does everything for every tenant; Metrics may only read the dashboard and
/// <c>/metrics</c> (no cache call, no tenant's data).
/// </summary>
internal enum ApiKeyRole
{
    Read = 1,
    Write = 2,
    Admin = 3,
    Operator = 4,
    Metrics = 5,
}

/// <summary>The one place that says which role grants what.</summary>
internal static class ApiKeyRoles
{
    /// <summary>True when a key of role <paramref name="role"/> may do what <paramref name="required"/> allows.</summary>
    public static bool Allows(this ApiKeyRole role, ApiKeyRole required) => role switch
    {
        ApiKeyRole.Operator => true,
        ApiKeyRole.Metrics => required == ApiKeyRole.Metrics,
        _ => required is ApiKeyRole.Read or ApiKeyRole.Write or ApiKeyRole.Admin && role >= required,
    };

    /// <summary>True when the role reaches every tenant, not only its own.</summary>
    public static bool SpansTenants(this ApiKeyRole role) => role == ApiKeyRole.Operator;

    public static string Name(this ApiKeyRole role) => role.ToString().ToLowerInvariant();

    /// <summary>Parses read, write, admin, operator or metrics.</summary>
    public static bool TryParse(string? text, out ApiKeyRole role)
    {
        role = text?.ToLowerInvariant() switch
        {
            "read" => ApiKeyRole.Read,
            "write" => ApiKeyRole.Write,
            "admin" => ApiKeyRole.Admin,
            "operator" => ApiKeyRole.Operator,
            "metrics" => ApiKeyRole.Metrics,
            _ => 0,
        };
        return role != 0;
    }
}

/// <summary>Who is calling: derived from the API key, never from a request message.</summary>
internal sealed record ApiKeyIdentity(string KeyId, string Tenant, ApiKeyRole Role);

/// <summary>A key as stored: the secret only as a salted HMAC.</summary>
internal sealed record ApiKeyRecord
{
    public required string Id { get; init; }

    public required string Tenant { get; init; }

    public required ApiKeyRole Role { get; init; }

    public required string Salt { get; init; }

    public required string Hash { get; init; }

    public string Description { get; init; } = string.Empty;

    public DateTimeOffset Created { get; init; }

    /// <summary>
    /// HMAC-SHA256 of the secret under the file's <see cref="ApiKeyFile.Pepper"/>, hex: how a presented
    /// secret finds its record. Kept only in the file, never shown; null for keys of version-1 files,
    /// whose <see cref="Id"/> was derived from the secret.
    /// </summary>
    public string? Lookup { get; init; }

    /// <summary>Set on the key registered from <c>SEMCACHE_ADMIN_KEY</c> or printed on first start; a new bootstrap key revokes it.</summary>
    public bool Bootstrap { get; init; }
}

/// <summary>The keys file.</summary>
internal sealed record ApiKeyFile
{
    public int Version { get; init; } = 2;

    /// <summary>Random key of <see cref="ApiKeyRecord.Lookup"/>, created with the file.</summary>
    public string? Pepper { get; init; }

    public List<ApiKeyRecord> Keys { get; init; } = [];
}
