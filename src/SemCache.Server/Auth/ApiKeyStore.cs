using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace SemCache.Server.Auth;

/// <summary>
/// API keys mapped to a tenant and a role, persisted in a JSON file with each secret kept only as
/// HMAC-SHA256 under its own random salt. A key's id is a prefix of its SHA-256, so lookup is one
/// dictionary probe and the comparison is constant-time.
/// </summary>
internal sealed class ApiKeyStore
{
    private const int MaxVerifiedCacheSize = 10_000;
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _writeLock = new();
    private volatile FrozenDictionary<string, ApiKeyRecord> _byId;

    // Verifying costs two hashes; a hot key is checked once and then found here. Cleared on revoke.
    private readonly ConcurrentDictionary<string, ApiKeyIdentity> _verified = new(StringComparer.Ordinal);

    public ApiKeyStore(IOptions<ServerOptions> options, IOptions<SemanticCacheOptions> cacheOptions, TimeProvider time)
    {
        _time = time;
        _path = Path.GetFullPath(options.Value.KeysFile ?? Path.Combine(cacheOptions.Value.DataDirectory, "keys.json"));
        _byId = Load(_path);
    }

    /// <summary>Where the keys are kept.</summary>
    public string FilePath => _path;

    public bool IsEmpty => _byId.Count == 0;

    public static bool IsValidTenant(string? tenant)
    {
        if (string.IsNullOrEmpty(tenant) || tenant.Length > 64)
        {
            return false;
        }

        foreach (var c in tenant)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    public bool TryAuthenticate(string? key, out ApiKeyIdentity identity)
    {
        identity = null!;
        if (string.IsNullOrEmpty(key) || key.Length > 512)
        {
            return false;
        }

        if (_verified.TryGetValue(key, out var known))
        {
            identity = known;
            return true;
        }

        if (!_byId.TryGetValue(IdOf(key), out var record) || !Matches(record, key))
        {
            return false;
        }

        identity = new ApiKeyIdentity(record.Id, record.Tenant, record.Role);
        if (_verified.Count >= MaxVerifiedCacheSize)
        {
            _verified.Clear();
        }

        _verified[key] = identity;
        return true;
    }

    /// <summary>Creates a key with a fresh random secret; the secret is returned once and never stored.</summary>
    public (ApiKeyRecord Record, string Secret) Create(string tenant, ApiKeyRole role, string? description)
    {
        var secret = "sck_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        return (Add(secret, tenant, role, description), secret);
    }

    /// <summary>Registers a key whose secret comes from outside (e.g. <c>SEMCACHE_ADMIN_KEY</c>). Idempotent.</summary>
    public ApiKeyRecord Import(string secret, string tenant, ApiKeyRole role, string? description)
    {
        if (_byId.TryGetValue(IdOf(secret), out var existing) && Matches(existing, secret) && existing.Tenant == tenant && existing.Role == role)
        {
            return existing;
        }

        return Add(secret, tenant, role, description);
    }

    public bool Revoke(string keyId)
    {
        lock (_writeLock)
        {
            if (!_byId.ContainsKey(keyId))
            {
                return false;
            }

            var next = _byId.Where(p => p.Key != keyId).ToFrozenDictionary(StringComparer.Ordinal);
            Save(next);
            _byId = next;
            _verified.Clear();
            return true;
        }
    }

    public IReadOnlyList<ApiKeyRecord> List() => [.. _byId.Values.OrderBy(k => k.Created).ThenBy(k => k.Id, StringComparer.Ordinal)];

    /// <summary>Tenants that hold at least one key.</summary>
    public IReadOnlyList<string> Tenants() => [.. _byId.Values.Select(k => k.Tenant).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    private ApiKeyRecord Add(string secret, string tenant, ApiKeyRole role, string? description)
    {
        if (!IsValidTenant(tenant))
        {
            throw new ArgumentException($"tenant '{tenant}' is invalid: use letters, digits, '-', '_', '.', 1 to 64 characters.", nameof(tenant));
        }

        if (!Enum.IsDefined(role))
        {
            throw new ArgumentException($"role {(int)role} is invalid: use read, write or admin.", nameof(role));
        }

        if (description is { Length: > 256 })
        {
            throw new ArgumentException("description is longer than 256 characters.", nameof(description));
        }

        var salt = RandomNumberGenerator.GetBytes(16);
        var record = new ApiKeyRecord
        {
            Id = IdOf(secret),
            Tenant = tenant,
            Role = role,
            Salt = Convert.ToBase64String(salt),
            Hash = Convert.ToBase64String(HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(secret))),
            Description = description ?? string.Empty,
            Created = _time.GetUtcNow(),
        };
        lock (_writeLock)
        {
            var next = new Dictionary<string, ApiKeyRecord>(_byId, StringComparer.Ordinal) { [record.Id] = record };
            var frozen = next.ToFrozenDictionary(StringComparer.Ordinal);
            Save(frozen);
            _byId = frozen;
            _verified.Clear();
        }

        return record;
    }

    private static string IdOf(string key)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), digest);
        return Convert.ToHexStringLower(digest[..8]);
    }

    private static bool Matches(ApiKeyRecord record, string key)
    {
        Span<byte> actual = stackalloc byte[32];
        Span<byte> expected = stackalloc byte[32];
        if (!Convert.TryFromBase64String(record.Hash, expected, out var written) || written != 32)
        {
            return false;
        }

        HMACSHA256.HashData(Convert.FromBase64String(record.Salt), Encoding.UTF8.GetBytes(key), actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static FrozenDictionary<string, ApiKeyRecord> Load(string path)
    {
        if (!File.Exists(path))
        {
            return FrozenDictionary<string, ApiKeyRecord>.Empty;
        }

        ApiKeyFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ApiKeyFile>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"The keys file '{path}' is not valid JSON: {e.Message}", e);
        }

        return (file?.Keys ?? []).ToFrozenDictionary(k => k.Id, StringComparer.Ordinal);
    }

    private void Save(FrozenDictionary<string, ApiKeyRecord> keys)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        var file = new ApiKeyFile { Keys = [.. keys.Values.OrderBy(k => k.Created)] };
        var temp = _path + ".tmp";

        // Write aside then rename, so a crash leaves either the old or the new file, never half of one.
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, file, JsonOptions);
            stream.Flush(flushToDisk: true);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, _path, overwrite: true);
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
