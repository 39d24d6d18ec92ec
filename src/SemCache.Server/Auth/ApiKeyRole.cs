namespace SemCache.Server.Auth;

/// <summary>What a key may do; each role includes the ones below it.</summary>
internal enum ApiKeyRole
{
    Read = 1,
    Write = 2,
    Admin = 3,
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
}

/// <summary>The keys file.</summary>
internal sealed record ApiKeyFile
{
    public int Version { get; init; } = 1;

    public List<ApiKeyRecord> Keys { get; init; } = [];
}
