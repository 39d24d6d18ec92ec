using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Caching.Distributed;
using SemCache.Storage;

namespace SemCache.Caching;

/// <summary>
/// The distributed cache over the entry store's exact layer: a key's SHA-256 is the exact key, its record holds the
/// key itself (checked on read, so a hash collision can never return another key's value), the value and the expiry.
/// Setting a key writes a new record and deletes the one it replaces; reads go to the store, so what a restart
/// recovered is what is served.
/// </summary>
/// <remarks>
/// Values are stored as text (base64) because the store's records are text; a 1 MiB value takes 1.33 MiB. The
/// sliding window and the absolute expiry travel in a short header before the value, so that a refresh after a
/// restart still knows both.
/// </remarks>
internal sealed partial class DistributedStore : ISemCacheDistributedCache
{
    private const string Tenant = "distributed-cache";
    private static readonly byte[] Zero32 = new byte[32];

    private readonly SemCacheDistributedCacheOptions _options;
    private readonly IEntryStore _store;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    // Live keys in write order, so the bound on entries removes the oldest-written first.
    private readonly Dictionary<string, LinkedListNode<(string Key, long Id)>> _live = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, long Id)> _order = new();
    private readonly SemaphoreSlim _writes = new(1, 1);
    private long _nextId;
    private int _disposed;

    public DistributedStore(SemCacheDistributedCacheOptions options, IEntryStore store, TimeProvider time)
    {
        _options = options;
        _store = store;
        _time = time;
        _nextId = store.MaxEntryId;
        var now = NowTicks;
        var expired = new List<long>();
        foreach (var record in _store.ScanLive().OrderBy(r => r.Id))
        {
            if (record.ExpiresUtcTicks != 0 && record.ExpiresUtcTicks <= now) { expired.Add(record.Id); continue; }
            Track(record.Prompt, record.Id, out var replaced);
            if (replaced is { } old) { expired.Add(old); }
        }

        foreach (var id in expired) { _store.DeleteAsync(id, CancellationToken.None).AsTask().GetAwaiter().GetResult(); }
    }

    public int Count
    {
        get
        {
            lock (_gate) { return _live.Count; }
        }
    }

    private long NowTicks => _time.GetUtcNow().UtcTicks;

    public byte[]? Get(string key)
    {
        var writer = new ArrayBufferWriter<byte>();
        return TryGet(key, writer) ? writer.WrittenSpan.ToArray() : null;
    }

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        var writer = new ArrayBufferWriter<byte>();
        return await TryGetAsync(key, writer, token).ConfigureAwait(false) ? writer.WrittenSpan.ToArray() : null;
    }

    public bool TryGet(string key, IBufferWriter<byte> destination) =>
        TryGetAsync(key, destination, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ThrowIfDisposed();
        ValidateKey(key);
        if (Read(key) is not { } found) { return false; }
        if (found.SlidingTicks > 0)
        {
            // A read of a sliding entry renews it, as IDistributedCache.Get does for Redis and SQL Server.
            await RewriteAsync(key, found.Payload, found.AbsoluteTicks, found.SlidingTicks, token).ConfigureAwait(false);
        }

        var bytes = Convert.FromBase64String(found.Payload);
        destination.Write(bytes);
        return true;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) =>
        SetAsync(key, value, options, CancellationToken.None).GetAwaiter().GetResult();

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(value);
        return SetAsync(key, new ReadOnlySequence<byte>(value), options, token).AsTask();
    }

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) =>
        SetAsync(key, value, options, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    public async ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfDisposed();
        ValidateKey(key);
        if (value.Length > _options.MaxValueBytes)
        {
            throw new ArgumentException($"The value is {value.Length} bytes; at most {_options.MaxValueBytes} are accepted (SemCacheDistributedCacheOptions.MaxValueBytes).", nameof(value));
        }

        var (absolute, sliding) = Expiry(options);
        await RewriteAsync(key, Convert.ToBase64String(value.IsSingleSegment ? value.FirstSpan : value.ToArray()), absolute, sliding, token).ConfigureAwait(false);
    }

    public void Refresh(string key) => RefreshAsync(key, CancellationToken.None).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default)
    {
        ThrowIfDisposed();
        ValidateKey(key);
        if (Read(key) is { SlidingTicks: > 0 } found)
        {
            await RewriteAsync(key, found.Payload, found.AbsoluteTicks, found.SlidingTicks, token).ConfigureAwait(false);
        }
    }

    public void Remove(string key) => RemoveAsync(key, CancellationToken.None).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        ThrowIfDisposed();
        ValidateKey(key);
        await _writes.WaitAsync(token).ConfigureAwait(false);
        try
        {
            long? id = null;
            lock (_gate)
            {
                if (_live.Remove(key, out var node))
                {
                    _order.Remove(node);
                    id = node.Value.Id;
                }
            }

            if (id is { } remove) { await _store.DeleteAsync(remove, token).ConfigureAwait(false); }
        }
        finally
        {
            _writes.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) { return; }
        await _writes.WaitAsync().ConfigureAwait(false);
        try
        {
            await _store.CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await _store.DisposeAsync().ConfigureAwait(false);
            _writes.Release();
            _writes.Dispose();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    private void ValidateKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > _options.MaxKeyLength)
        {
            throw new ArgumentException($"The key is {key.Length} characters long; at most {_options.MaxKeyLength} are accepted (SemCacheDistributedCacheOptions.MaxKeyLength).", nameof(key));
        }

        if (key.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF') && !IsWellFormed(key))
        {
            throw new ArgumentException("The key is not valid Unicode text (unpaired surrogate).", nameof(key));
        }
    }

    private static bool IsWellFormed(string key)
    {
        try
        {
            _ = new UTF8Encoding(false, throwOnInvalidBytes: true).GetByteCount(key);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    private static byte[] ExactKey(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private (long AbsoluteTicks, long SlidingTicks) Expiry(DistributedCacheEntryOptions options)
    {
        var now = _time.GetUtcNow();
        long absolute = 0;
        if (options.AbsoluteExpiration is { } at)
        {
            if (at <= now) { throw new ArgumentOutOfRangeException(nameof(options), at, "AbsoluteExpiration must be in the future."); }
            absolute = at.UtcTicks;
        }

        if (options.AbsoluteExpirationRelativeToNow is { } relative)
        {
            if (relative <= TimeSpan.Zero) { throw new ArgumentOutOfRangeException(nameof(options), relative, "AbsoluteExpirationRelativeToNow must be positive."); }
            var ticks = (now + relative).UtcTicks;
            absolute = absolute == 0 ? ticks : Math.Min(absolute, ticks);
        }

        var sliding = options.SlidingExpiration is { } s ? s.Ticks : 0;
        if (sliding < 0 || options.SlidingExpiration == TimeSpan.Zero) { throw new ArgumentOutOfRangeException(nameof(options), options.SlidingExpiration, "SlidingExpiration must be positive."); }
        return (absolute, sliding);
    }

    /// <summary>The live value of <paramref name="key"/>, or null when absent or expired (an expired one is removed).</summary>
    private Stored? Read(string key)
    {
        if (!_store.TryGetExact(ExactKey(key), out var id) || !_store.TryGet(id, out var record) || record is null) { return null; }

        // The exact key is a hash: the record must hold this very key.
        if (!string.Equals(record.Prompt, key, StringComparison.Ordinal) || !Stored.TryParse(record.Response, out var stored)) { return null; }
        if (record.ExpiresUtcTicks != 0 && record.ExpiresUtcTicks <= NowTicks)
        {
            _ = RemoveExpiredAsync(key, id);
            return null;
        }

        return stored;
    }

    private async Task RemoveExpiredAsync(string key, long id)
    {
        try
        {
            await _writes.WaitAsync().ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            return; // closed meanwhile: the expired record is dropped at the next open
        }

        try
        {
            lock (_gate)
            {
                if (!_live.TryGetValue(key, out var node) || node.Value.Id != id) { return; }
                _live.Remove(key);
                _order.Remove(node);
            }

            await _store.DeleteAsync(id, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _writes.Release();
        }
    }

    private async Task RewriteAsync(string key, string payload, long absoluteTicks, long slidingTicks, CancellationToken token)
    {
        var now = NowTicks;
        var expires = slidingTicks > 0 ? now + slidingTicks : 0;
        if (absoluteTicks != 0) { expires = expires == 0 ? absoluteTicks : Math.Min(expires, absoluteTicks); }
        await _writes.WaitAsync(token).ConfigureAwait(false);
        try
        {
            var record = new CacheEntryRecord
            {
                Id = Interlocked.Increment(ref _nextId),
                Tenant = Tenant,
                ScopeFingerprint = Zero32,
                ContextFingerprint = Zero32,
                PartitionKey = 0,
                ExactKey = ExactKey(key),
                Prompt = key,
                Response = new Stored(absoluteTicks, slidingTicks, payload).ToString(),
                Tags = [],
                CreatedUtcTicks = now,
                ExpiresUtcTicks = expires,
            };
            await _store.PutAsync(record, token).ConfigureAwait(false);
            List<long> stale = [];
            lock (_gate)
            {
                Track(key, record.Id, out var replaced);
                if (replaced is { } old) { stale.Add(old); }
                while (_live.Count > _options.MaxEntries && _order.First is { } oldest)
                {
                    _order.RemoveFirst();
                    _live.Remove(oldest.Value.Key);
                    stale.Add(oldest.Value.Id);
                }
            }

            foreach (var id in stale) { await _store.DeleteAsync(id, CancellationToken.None).ConfigureAwait(false); }
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Records <paramref name="key"/> as newest; <paramref name="replaced"/> is the id it replaced.</summary>
    private void Track(string key, long id, out long? replaced)
    {
        replaced = null;
        if (_live.Remove(key, out var existing))
        {
            _order.Remove(existing);
            replaced = existing.Value.Id;
        }

        _live[key] = _order.AddLast((key, id));
    }

    /// <summary>What a record's text holds: <c>v1|absolute ticks|sliding ticks|base64 value</c>.</summary>
    private readonly record struct Stored(long AbsoluteTicks, long SlidingTicks, string Payload)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"v1|{AbsoluteTicks}|{SlidingTicks}|{Payload}");

        public static bool TryParse(string text, out Stored stored)
        {
            stored = default;
            var parts = text.Split('|', 4);
            if (parts.Length != 4 || parts[0] != "v1"
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var absolute)
                || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var sliding))
            {
                return false;
            }

            stored = new Stored(absolute, sliding, parts[3]);
            return true;
        }
    }
}
