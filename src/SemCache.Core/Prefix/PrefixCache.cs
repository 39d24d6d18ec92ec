using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text;

namespace SemCache.Prefix;

/// <summary>
/// The embedded <see cref="IPrefixCache"/>: per tenant, the registered backends and the blocks each holds; per
/// backend one lock (a match touches each candidate's lock for a binary search of a few lookups).
/// </summary>
internal sealed partial class PrefixCache : IPrefixCache, IDisposable
{
    private readonly PrefixCacheOptions _options;
    private readonly PricingTable _pricing;
    private readonly TimeProvider _time;
    private readonly byte[] _secret;
    private readonly string? _directory;
    private readonly ConcurrentDictionary<string, TenantState> _tenants = new(StringComparer.Ordinal);
    private readonly object _tenantGate = new();
    private readonly PrefixTelemetry _telemetry;
    private readonly ITimer? _persistTimer;
    private readonly bool _readOnly;
    private int _disposed;

    /// <param name="options">Limits and hashing.</param>
    /// <param name="dataDirectory">Where the index and the generated secret live; null keeps everything in memory.</param>
    /// <param name="pricing">The product's pricing table.</param>
    /// <param name="time">Clock of provider TTLs.</param>
    /// <param name="meterFactory">For the predicted-versus-reported metrics.</param>
    /// <param name="readOnly">Load the index but never write it (the CLI inspecting a server's data directory).</param>
    public PrefixCache(PrefixCacheOptions options, string? dataDirectory, PricingTable? pricing = null, TimeProvider? time = null, IMeterFactory? meterFactory = null, bool readOnly = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _pricing = pricing ?? PricingTable.Default;
        _time = time ?? TimeProvider.System;
        _telemetry = new PrefixTelemetry(meterFactory);
        _directory = dataDirectory is null ? null : Path.Combine(Path.GetFullPath(dataDirectory), "prefix");
        _readOnly = readOnly;
        _secret = LoadSecret();
        if (_directory is not null)
        {
            Load();
            if (readOnly) { return; }
            _persistTimer = _time.CreateTimer(_ => Persist(), null, options.PersistInterval, options.PersistInterval);
        }
    }

    /// <summary>Tenants with backends.</summary>
    internal int TenantCount => _tenants.Count;

    /// <summary>The keys a backend holds (tests and diagnostics).</summary>
    internal UInt128[] HeldKeys(string tenant, string backendId)
    {
        var backend = RequireBackend(tenant, backendId);
        lock (backend.Gate) { return backend.Blocks.HeldKeys(); }
    }

    /// <summary>Blocks held by all backends of a tenant (benchmarks and diagnostics).</summary>
    internal long HeldKeysCount(string tenant)
    {
        if (TenantFor(tenant, create: false) is not { } state) { return 0; }
        BackendState[] backends;
        lock (state.Gate) { backends = [.. state.Backends.Values]; }
        long count = 0;
        foreach (var backend in backends)
        {
            lock (backend.Gate) { count += backend.Blocks.Count; }
        }

        return count;
    }

    public ValueTask RegisterBackendAsync(string tenant, PrefixBackend backend, CancellationToken cancellationToken = default)
    {
        ValidateTenant(tenant);
        ValidateBackend(backend);
        cancellationToken.ThrowIfCancellationRequested();
        var state = TenantFor(tenant, create: true)!;
        lock (state.Gate)
        {
            if (state.Backends.TryGetValue(backend.Id, out var existing)
                && existing.Info.Tokenizer == backend.Tokenizer && existing.Info.BlockSize == backend.BlockSize)
            {
                existing.Info = backend;
                return ValueTask.CompletedTask;
            }

            if (existing is null && state.Backends.Count >= _options.MaxBackendsPerTenant)
            {
                throw new ArgumentException($"the tenant already has {state.Backends.Count} backends; the limit MaxBackendsPerTenant is {_options.MaxBackendsPerTenant}", nameof(backend));
            }

            state.Backends[backend.Id] = new BackendState(backend, SeedFor(tenant, backend.Tokenizer, backend.BlockSize), _options);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RemoveBackendAsync(string tenant, string backendId, CancellationToken cancellationToken = default)
    {
        ValidateTenant(tenant);
        ValidateId(backendId, nameof(backendId));
        var state = TenantFor(tenant, create: false);
        if (state is null) { return ValueTask.FromResult(false); }
        lock (state.Gate)
        {
            return ValueTask.FromResult(state.Backends.Remove(backendId));
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) { return; }
        _persistTimer?.Dispose();
        Persist();
        _telemetry.Dispose();
    }

    /// <summary>The seed of a tenant's chains: its salt is its own name unless an administrator put it in a shared group.</summary>
    internal PrefixSeed SeedFor(string tenant, string tokenizer, int blockSize)
    {
        var salt = _options.SharedPrefixGroups.TryGetValue(tenant, out var group) ? "group:" + group : "tenant:" + tenant;
        return PrefixSeed.Derive(_secret, salt, tokenizer, blockSize, _options.HashAlgorithm);
    }

    private TenantState? TenantFor(string tenant, bool create)
    {
        if (_tenants.TryGetValue(tenant, out var state) || !create) { return state; }
        lock (_tenantGate)
        {
            if (_tenants.TryGetValue(tenant, out state)) { return state; }
            if (_tenants.Count >= _options.MaxTenants)
            {
                throw new ArgumentException($"the prefix index already tracks {_tenants.Count} tenants; the limit MaxTenants is {_options.MaxTenants}", nameof(tenant));
            }

            return _tenants[tenant] = new TenantState();
        }
    }

    private BackendState RequireBackend(string tenant, string backendId)
    {
        var state = TenantFor(tenant, create: false);
        BackendState? backend = null;
        if (state is not null)
        {
            lock (state.Gate) { state.Backends.TryGetValue(backendId, out backend); }
        }

        return backend ?? throw new ArgumentException($"backend '{backendId}' is not registered", nameof(backendId));
    }

    private byte[] LoadSecret()
    {
        if (!string.IsNullOrEmpty(_options.Secret)) { return Encoding.UTF8.GetBytes(_options.Secret); }
        if (_directory is null) { return RandomNumberGenerator.GetBytes(32); }
        var path = Path.Combine(_directory, "secret");
        if (_readOnly) { return File.Exists(path) ? File.ReadAllBytes(path) : RandomNumberGenerator.GetBytes(32); }

        // Generated once and kept beside the index: persisted keys are only meaningful under the same secret.
        Directory.CreateDirectory(_directory);
        if (File.Exists(path))
        {
            var existing = File.ReadAllBytes(path);
            if (existing.Length == 32) { return existing; }
        }

        var secret = RandomNumberGenerator.GetBytes(32);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) { options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; }
        using (var stream = new FileStream(path, options)) { stream.Write(secret); }
        return secret;
    }

    private static void ValidateTenant(string tenant)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenant);
        if (tenant.Length > PrefixBackend.MaxIdLength) { throw new ArgumentException($"tenant is {tenant.Length} characters; at most {PrefixBackend.MaxIdLength}", nameof(tenant)); }
    }

    private static void ValidateId(string? id, string name)
    {
        if (string.IsNullOrWhiteSpace(id)) { throw new ArgumentException($"{name} is required", name); }
        if (id.Length > PrefixBackend.MaxIdLength) { throw new ArgumentException($"{name} is {id.Length} characters; at most {PrefixBackend.MaxIdLength}", name); }
        if (id.Any(char.IsControl)) { throw new ArgumentException($"{name} contains control characters", name); }
    }

    private void ValidateBackend(PrefixBackend? backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ValidateId(backend.Id, "backend.id");
        if (!PrefixTokenizers.IsKnown(backend.Tokenizer))
        {
            throw new ArgumentException($"backend.tokenizer '{backend.Tokenizer}' is not one of o200k_base, cl100k_base, bytes, caller", nameof(backend));
        }

        if (backend.BlockSize is < 1 or > 4096) { throw new ArgumentException($"backend.block_size must be 1 to 4096, not {backend.BlockSize}", nameof(backend)); }
        if (!Enum.IsDefined(backend.Kind)) { throw new ArgumentException($"backend.kind {(int)backend.Kind} is not engine or provider", nameof(backend)); }
        if (backend.Model is { Length: > PrefixBackend.MaxIdLength }) { throw new ArgumentException($"backend.model is longer than {PrefixBackend.MaxIdLength} characters", nameof(backend)); }
        var rules = backend.Rules ?? throw new ArgumentException("backend.rules is required", nameof(backend));
        if (rules.MinCachedTokens < 0 || rules.MinCachedTokens > _options.MaxPromptTokens) { throw new ArgumentException($"backend.rules.min_cached_tokens must be 0 to {_options.MaxPromptTokens}", nameof(backend)); }
        if (rules.StepTokens is < 1 or > 1 << 20) { throw new ArgumentException($"backend.rules.step_tokens must be 1 to {1 << 20}, not {rules.StepTokens}", nameof(backend)); }
        if (rules.TimeToLive is { } ttl && (ttl <= TimeSpan.Zero || ttl > TimeSpan.FromDays(366)))
        {
            throw new ArgumentException($"backend.rules.ttl must be positive and at most a year, not {ttl}", nameof(backend));
        }
    }

    private sealed class TenantState
    {
        public object Gate { get; } = new();

        public Dictionary<string, BackendState> Backends { get; } = new(StringComparer.Ordinal);

        /// <summary>Recently routed prompts, newest last, for the miss explainer; bounded by ExplainHistoryPerTenant.</summary>
        public LinkedList<RoutedPrompt> History { get; } = new();
    }

    private sealed class BackendState(PrefixBackend info, PrefixSeed seed, PrefixCacheOptions options)
    {
        public PrefixBackend Info { get; set; } = info;

        public PrefixSeed Seed { get; } = seed;

        public BackendBlocks Blocks { get; } = new(options.MaxBlocksPerBackend);

        public PendingStores Pending { get; } = new(options.MaxPendingEventsPerBackend);

        /// <summary>Scratch list of slots, used under the lock.</summary>
        public List<int> Path { get; } = [];

        public object Gate => Blocks;
    }

    private sealed record RoutedPrompt(string BackendId, string Tokenizer, int BlockSize, int[] Tokens, string? Text);
}
