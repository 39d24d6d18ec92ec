using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using SemCache.Storage;

namespace SemCache.Server.Auth;

/// <summary>
/// API keys mapped to a tenant and a role, persisted in a JSON file with each secret kept only as
/// HMAC-SHA256 under its own random salt. A key's id is random (it is shown in lists and logs, so it
/// must say nothing about the secret); a presented secret finds its record through an HMAC under a
/// random pepper kept in the file. The store holds an exclusive lock on <c>keys.json.lock</c> for its
/// lifetime, so the CLI cannot edit the file behind a running server's back (the server would
/// later overwrite the edit with its own copy).
/// </summary>
internal sealed class ApiKeyStore : IDisposable
{
    private const int MaxVerifiedCacheSize = 10_000;
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly Lock _writeLock = new();
    private readonly FileStream _fileLock;
    private readonly byte[] _pepper;
    private volatile Snapshot _keys;

    // Verifying costs two HMACs; a hot key is checked once and then found here. Each entry carries
    // the generation of the key set it was verified against and counts only while that generation
    // is current, so a check that read the old key set can never put a revoked key back.
    private readonly ConcurrentDictionary<string, (ApiKeyIdentity Identity, long Generation)> _verified = new(StringComparer.Ordinal);

    public ApiKeyStore(IOptions<ServerOptions> options, IOptions<SemanticCacheOptions> cacheOptions, TimeProvider time)
    {
        _time = time;
        _path = Path.GetFullPath(options.Value.KeysFile ?? Path.Combine(cacheOptions.Value.DataDirectory, "keys.json"));
        _fileLock = LockFile(_path);
        try
        {
            var file = Load(_path);
            _pepper = file.Pepper is { } pepper ? Convert.FromBase64String(pepper) : RandomNumberGenerator.GetBytes(32);
            _keys = Snapshot.Of(file.Keys.Select(k => new KeyValuePair<string, ApiKeyRecord>(k.Id, k)), generation: 0);
        }
        catch
        {
            _fileLock.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Verified secrets kept (a bound: only secrets that verified get in, and when this many are held
    /// the next one clears the map). Settable for tests.
    /// </summary>
    internal int VerifiedCacheCapacity { get; set; } = MaxVerifiedCacheSize;

    /// <summary>Verified secrets held now (tests).</summary>
    internal int VerifiedCount => _verified.Count;

    /// <summary>Where the keys are kept.</summary>
    public string FilePath => _path;

    public bool IsEmpty => _keys.ById.Count == 0;

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

        while (true)
        {
            // The generation is read with the key set it belongs to (one volatile snapshot).
            var keys = _keys;
            if (_verified.TryGetValue(key, out var known) && known.Generation == keys.Generation)
            {
                identity = known.Identity;
                return true;
            }

            if (Find(keys, key) is not { } record)
            {
                return false;
            }

            identity = new ApiKeyIdentity(record.Id, record.Tenant, record.Role);
            if (_verified.Count >= VerifiedCacheCapacity)
            {
                _verified.Clear();
            }

            _verified[key] = (identity, keys.Generation);

            // A revocation that completed while this check ran must win: check again against it.
            if (ReferenceEquals(keys, _keys))
            {
                return true;
            }
        }
    }

    /// <summary>Creates a key with a fresh random secret; the secret is returned once and never stored.</summary>
    public (ApiKeyRecord Record, string Secret) Create(string tenant, ApiKeyRole role, string? description, bool bootstrap = false)
    {
        var secret = "sck_" + Base64Url(RandomNumberGenerator.GetBytes(32));
        return (Add(secret, tenant, role, description, bootstrap), secret);
    }

    /// <summary>
    /// Registers the bootstrap key whose secret comes from outside (<c>SEMCACHE_ADMIN_KEY</c>).
    /// Idempotent for the same secret; a different one revokes the bootstrap key it replaces.
    /// </summary>
    public ApiKeyRecord ImportBootstrap(string secret, string tenant, ApiKeyRole role, string? description)
    {
        lock (_writeLock)
        {
            if (Find(_keys, secret) is { } existing && existing.Tenant == tenant && existing.Role == role)
            {
                return existing;
            }

            return Add(secret, tenant, role, description, bootstrap: true);
        }
    }

    /// <summary>
    /// Revokes a key; with <paramref name="tenant"/> only a key of that tenant (another tenant's key
    /// is answered as unknown). When this returns true no later call authenticates with the key.
    /// </summary>
    public bool Revoke(string keyId, string? tenant = null)
    {
        lock (_writeLock)
        {
            var current = _keys;
            if (!current.ById.TryGetValue(keyId, out var record) || (tenant is not null && record.Tenant != tenant))
            {
                return false;
            }

            Publish(current.ById.Where(p => p.Key != keyId));
            return true;
        }
    }

    public IReadOnlyList<ApiKeyRecord> List() => [.. _keys.ById.Values.OrderBy(k => k.Created).ThenBy(k => k.Id, StringComparer.Ordinal)];

    /// <summary>Tenants that hold at least one key.</summary>
    public IReadOnlyList<string> Tenants() => [.. _keys.ById.Values.Select(k => k.Tenant).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public void Dispose() => _fileLock.Dispose();

    private ApiKeyRecord Add(string secret, string tenant, ApiKeyRole role, string? description, bool bootstrap)
    {
        if (!IsValidTenant(tenant))
        {
            throw new ArgumentException($"tenant '{tenant}' is invalid: use letters, digits, '-', '_', '.', 1 to 64 characters.", nameof(tenant));
        }

        if (!Enum.IsDefined(role))
        {
            throw new ArgumentException($"role {(int)role} is invalid: use read, write, admin, operator or metrics.", nameof(role));
        }

        if (description is { Length: > 256 })
        {
            throw new ArgumentException("description is longer than 256 characters.", nameof(description));
        }

        var salt = RandomNumberGenerator.GetBytes(16);
        var record = new ApiKeyRecord
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            Tenant = tenant,
            Role = role,
            Salt = Convert.ToBase64String(salt),
            Hash = Convert.ToBase64String(HMACSHA256.HashData(salt, Encoding.UTF8.GetBytes(secret))),
            Lookup = LookupOf(secret),
            Description = description ?? string.Empty,
            Created = _time.GetUtcNow(),
            Bootstrap = bootstrap,
        };
        lock (_writeLock)
        {
            // One bootstrap key at a time: a new one (a changed SEMCACHE_ADMIN_KEY) revokes the old.
            var kept = _keys.ById.Where(p => !(bootstrap && p.Value.Bootstrap));
            Publish(kept.Append(new KeyValuePair<string, ApiKeyRecord>(record.Id, record)));
        }

        return record;
    }

    /// <summary>Saves, then swaps in the new key set with the next generation. Caller holds the write lock.</summary>
    private void Publish(IEnumerable<KeyValuePair<string, ApiKeyRecord>> keys)
    {
        var next = Snapshot.Of(keys, _keys.Generation + 1);
        Save(next.ById);
        _keys = next;
        _verified.Clear();
    }

    private ApiKeyRecord? Find(Snapshot keys, string secret)
    {
        // Version-1 records have no lookup: their id was a SHA-256 prefix of the secret.
        if (keys.ByLookup.TryGetValue(LookupOf(secret), out var record)
            || (keys.ById.TryGetValue(LegacyIdOf(secret), out record) && record.Lookup is null))
        {
            return Matches(record, secret) ? record : null;
        }

        return null;
    }

    private string LookupOf(string secret) => Convert.ToHexStringLower(HMACSHA256.HashData(_pepper, Encoding.UTF8.GetBytes(secret)));

    private static string LegacyIdOf(string key)
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

    /// <summary>
    /// The keys file's lock, held while this store lives. The OS drops it when the process dies, so
    /// a crashed server never locks the CLI out.
    /// </summary>
    private static FileStream LockFile(string path)
    {
        PrivateDirectory.Create(Path.GetDirectoryName(path)!);
        var lockPath = path + ".lock";
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException(
                $"The keys file '{path}' is in use by a running server (it holds '{lockPath}'). Manage keys through that server: semcache keys ... --server ADDRESS --key ADMIN_KEY.",
                e);
        }
    }

    private static ApiKeyFile Load(string path)
    {
        if (!File.Exists(path))
        {
            return new ApiKeyFile();
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

        return file ?? new ApiKeyFile();
    }

    private void Save(FrozenDictionary<string, ApiKeyRecord> keys)
    {
        PrivateDirectory.Create(Path.GetDirectoryName(_path)!);
        var file = new ApiKeyFile { Pepper = Convert.ToBase64String(_pepper), Keys = [.. keys.Values.OrderBy(k => k.Created)] };
        var temp = _path + ".tmp";

        // Write aside then rename, so a crash leaves either the old or the new file, never half of
        // one; created 0600 so that the secrets' hashes are never readable by others, not even briefly.
        var streamOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            streamOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, streamOptions))
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

    /// <summary>One published key set and its generation.</summary>
    private sealed record Snapshot(FrozenDictionary<string, ApiKeyRecord> ById, FrozenDictionary<string, ApiKeyRecord> ByLookup, long Generation)
    {
        public static Snapshot Of(IEnumerable<KeyValuePair<string, ApiKeyRecord>> keys, long generation)
        {
            var byId = keys.ToFrozenDictionary(StringComparer.Ordinal);
            var byLookup = byId.Values.Where(k => k.Lookup is not null).ToFrozenDictionary(k => k.Lookup!, StringComparer.Ordinal);
            return new Snapshot(byId, byLookup, generation);
        }
    }
}
