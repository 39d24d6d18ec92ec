namespace SemCache.Accounting;

internal sealed partial class CostLedger
{
    /// <summary>Counters of one (tenant, feature, model); money in micro-units so additions are atomic.</summary>
    private sealed class Line
    {
        public long Lookups;
        public long ExactHits;
        public long SemanticHits;
        public long Misses;
        public long Stores;
        public long TokensSaved;
        public long CostSavedMicros;
        public long SpendMicros;
        public long CallTicks;
        public long TimedStores;

        public CacheCostLine Snapshot(LineKey key) => new()
        {
            Tenant = key.Tenant,
            Feature = key.Feature,
            Model = key.Model,
            Lookups = Interlocked.Read(ref Lookups),
            ExactHits = Interlocked.Read(ref ExactHits),
            SemanticHits = Interlocked.Read(ref SemanticHits),
            Misses = Interlocked.Read(ref Misses),
            Stores = Interlocked.Read(ref Stores),
            TokensSaved = Interlocked.Read(ref TokensSaved),
            CostSaved = Interlocked.Read(ref CostSavedMicros) / 1_000_000d,
            Spend = Interlocked.Read(ref SpendMicros) / 1_000_000d,
            LatencySaved = Interlocked.Read(ref TimedStores) is > 0 and var timed
                ? TimeSpan.FromTicks(Interlocked.Read(ref CallTicks) / timed * (Interlocked.Read(ref ExactHits) + Interlocked.Read(ref SemanticHits)))
                : TimeSpan.Zero,
        };
    }

    /// <summary>One interval of the savings ring; reused when its slot comes round again.</summary>
    private sealed class Bucket
    {
        private readonly Lock _gate = new();
        private long _index = -1;
        private long _lookups;
        private long _hits;
        private long _tokens;
        private long _savedMicros;
        private long _spendMicros;

        public void Roll(long index)
        {
            if (Volatile.Read(ref _index) == index) { return; }
            lock (_gate)
            {
                if (_index >= index) { return; }
                _index = index;
                _lookups = _hits = _tokens = _savedMicros = _spendMicros = 0;
            }
        }

        public void Add(long lookups, long hits, long tokens, long savedMicros, long spendMicros)
        {
            lock (_gate)
            {
                _lookups += lookups;
                _hits += hits;
                _tokens += tokens;
                _savedMicros += savedMicros;
                _spendMicros += spendMicros;
            }
        }

        public CacheSavingsPoint? Read(long index)
        {
            lock (_gate)
            {
                if (_index != index) { return null; }
                return new CacheSavingsPoint(
                    new DateTimeOffset(index * BucketLength.Ticks, TimeSpan.Zero), _lookups, _hits, _tokens, _savedMicros / 1_000_000d, _spendMicros / 1_000_000d);
            }
        }
    }

    /// <summary>A budget's current window and whether it has already alerted in it (one alert per crossing).</summary>
    private sealed class BudgetState(string name, CacheBudget budget)
    {
        private readonly Lock _gate = new();
        private long _window = -1;
        private long _spendMicros;
        private long _lookups;
        private long _hits;
        private bool _spendAlerted;
        private bool _hitRateAlerted;

        public string Name { get; } = name;

        public CacheBudget Budget { get; } = budget;

        public bool Watches(string tenant, string? feature) =>
            (Budget.Tenant is null || string.Equals(Budget.Tenant, tenant, StringComparison.Ordinal))
            && (Budget.Feature is null || string.Equals(Budget.Feature, feature, StringComparison.Ordinal));

        public (bool Spend, bool HitRate) AddSpend(DateTimeOffset now, long micros)
        {
            lock (_gate)
            {
                Roll(now);
                _spendMicros += micros;
                return Crossings();
            }
        }

        public (bool Spend, bool HitRate) AddLookup(DateTimeOffset now, bool hit)
        {
            lock (_gate)
            {
                Roll(now);
                _lookups++;
                if (hit) { _hits++; }
                return Crossings();
            }
        }

        public CacheBudgetStatus Snapshot(DateTimeOffset now)
        {
            lock (_gate)
            {
                Roll(now);
                return new CacheBudgetStatus
                {
                    Name = Name,
                    Tenant = Budget.Tenant,
                    Feature = Budget.Feature,
                    WindowStart = new DateTimeOffset(_window * Budget.Window.Ticks, TimeSpan.Zero),
                    Spend = _spendMicros / 1_000_000d,
                    MaxSpend = Budget.MaxSpend,
                    Lookups = _lookups,
                    HitRate = HitRate,
                    MinHitRate = Budget.MinHitRate,
                    SpendExceeded = SpendExceeded,
                    HitRateBelowFloor = HitRateBelowFloor,
                };
            }
        }

        private double HitRate => _lookups == 0 ? 0 : (double)_hits / _lookups;

        private bool SpendExceeded => Budget.MaxSpend is { } max && _spendMicros > Micros(max);

        private bool HitRateBelowFloor => Budget.MinHitRate is { } floor && _lookups >= Budget.MinLookups && HitRate < floor;

        /// <summary>Which limits this change crossed for the first time in the window; a window alerts once per limit.</summary>
        private (bool Spend, bool HitRate) Crossings()
        {
            var spend = SpendExceeded && !_spendAlerted;
            var hitRate = HitRateBelowFloor && !_hitRateAlerted;
            _spendAlerted |= spend;
            _hitRateAlerted |= hitRate;
            return (spend, hitRate);
        }

        private void Roll(DateTimeOffset now)
        {
            var window = now.UtcTicks / Budget.Window.Ticks;
            if (window == _window) { return; }
            _window = window;
            _spendMicros = _lookups = _hits = 0;
            _spendAlerted = _hitRateAlerted = false;
        }
    }
}
