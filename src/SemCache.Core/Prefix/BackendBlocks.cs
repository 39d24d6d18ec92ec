namespace SemCache.Prefix;

/// <summary>
/// The blocks one backend holds, as a forest of chained keys with an LRU order, in flat arrays indexed by slot
/// (no object per block). Invariants that make a match a binary search: holdings are prefix-closed (a block is
/// only held under its held parent; removing a block removes the blocks after it, which an engine could not reuse
/// anyway) and every ancestor is at least as recent as its descendants, so the least recently used block is a leaf
/// and expiry never removes a parent before its child. Not thread-safe: the owner locks it.
/// </summary>
internal sealed partial class BackendBlocks
{
    /// <summary>Bytes of the per-slot arrays of one block (key, links, expiry, engine hash); the key table adds 43–85 more.</summary>
    public const int ArrayBytesPerBlock = 16 + (6 * sizeof(int)) + sizeof(long) + sizeof(ulong) + sizeof(bool);

    private const int None = -1;

    private readonly int _capacity;
    private readonly BlockKeyTable _slotOf = new();
    private readonly Dictionary<ulong, int> _engineSlot = [];
    private UInt128[] _key = [];
    private int[] _parent = [];
    private int[] _firstChild = [];
    private int[] _nextSibling = [];
    private int[] _prevSibling = [];
    private int[] _newer = [];
    private int[] _older = [];
    private long[] _expires = [];
    private ulong[] _engineHash = [];
    private bool[] _hasEngineHash = [];
    private int _mru = None;
    private int _lru = None;
    private int _free = None;
    private int _highWater;
    private bool _anyExpiry;

    public BackendBlocks(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <summary>Blocks held.</summary>
    public int Count => _slotOf.Count;

    /// <summary>The held keys, in no particular order (tests and diagnostics).</summary>
    public UInt128[] HeldKeys() => [.. _slotOf.Keys];

    /// <summary>Blocks removed to stay within the capacity.</summary>
    public long Evictions { get; private set; }

    /// <summary>
    /// How many leading keys of <paramref name="keys"/> are held and unexpired at <paramref name="now"/>. Prefix
    /// closure and ancestor-first recency make presence monotone along a chain, hence the binary search.
    /// </summary>
    public int MatchedBlocks(ReadOnlySpan<UInt128> keys, long now)
    {
        if (keys.IsEmpty || !Holds(keys[0], now)) { return 0; }
        int lo = 1, hi = keys.Length;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo + 1) / 2);
            if (Holds(keys[mid - 1], now)) { lo = mid; } else { hi = mid - 1; }
        }

        return lo;
    }

    /// <summary>Whether <paramref name="key"/> is held and unexpired.</summary>
    public bool Holds(UInt128 key, long now) => _slotOf.TryGetValue(key, out var slot) && !Expired(slot, now);

    /// <summary>The slot of an engine hash, or −1.</summary>
    public int SlotOfEngineHash(ulong engineHash) => _engineSlot.TryGetValue(engineHash, out var slot) ? slot : None;

    /// <summary>The key of a held slot.</summary>
    public UInt128 KeyOf(int slot) => _key[slot];

    /// <summary>
    /// Holds the chain <paramref name="keys"/> under <paramref name="parentSlot"/> (−1 for a first block), making it
    /// and its ancestors the most recently used. <paramref name="expires"/> (ticks, 0 for never) is set on new blocks
    /// and, when <paramref name="refresh"/>, extended on held ones. Returns how many blocks are held afterwards
    /// (fewer than asked only when the capacity is smaller than the chain).
    /// </summary>
    public int HoldChain(int parentSlot, ReadOnlySpan<UInt128> keys, ReadOnlySpan<ulong> engineHashes, long now, long expires, bool refresh, List<int> path)
    {
        path.Clear();
        _anyExpiry |= expires != 0;
        // The parent's line first becomes the most recent, so making room below cannot evict it.
        TouchLine(parentSlot);
        var current = parentSlot;
        for (var i = 0; i < keys.Length; i++)
        {
            if (_slotOf.TryGetValue(keys[i], out var slot))
            {
                if (expires == 0) { _expires[slot] = 0; }
                else if (refresh || Expired(slot, now)) { _expires[slot] = Math.Max(_expires[slot], CappedByParent(expires, current)); }

                // Recent at once, so that making room for the rest of the chain cannot evict it.
                MoveToMru(slot);
            }
            else
            {
                if (current != None && !IsLive(current)) { break; }
                slot = Allocate();
                if (current != None && !IsLive(current))
                {
                    // The capacity is smaller than the chain: its own start was the oldest block.
                    Release(slot);
                    break;
                }

                _key[slot] = keys[i];
                _expires[slot] = CappedByParent(expires, current);
                _slotOf.Set(keys[i], slot);
                Link(slot, current);
                PushMru(slot);
            }

            if (!engineHashes.IsEmpty)
            {
                if (_hasEngineHash[slot]) { _engineSlot.Remove(_engineHash[slot]); }
                _engineHash[slot] = engineHashes[i];
                _hasEngineHash[slot] = true;
                _engineSlot[engineHashes[i]] = slot;
            }

            path.Add(slot);
            current = slot;
        }

        for (var i = path.Count - 1; i >= 0; i--) { MoveToMru(path[i]); }
        TouchLine(parentSlot);
        return path.Count;
    }

    /// <summary>Removes a block and every block after it; returns how many went.</summary>
    public int RemoveSubtree(int slot)
    {
        if (slot == None || !IsLive(slot)) { return 0; }
        Unlink(slot);
        var removed = 0;
        var stack = new Stack<int>();
        stack.Push(slot);
        while (stack.Count > 0)
        {
            var s = stack.Pop();
            for (var c = _firstChild[s]; c != None; c = _nextSibling[c]) { stack.Push(c); }
            _slotOf.Remove(_key[s]);
            if (_hasEngineHash[s] && _engineSlot.TryGetValue(_engineHash[s], out var mapped) && mapped == s) { _engineSlot.Remove(_engineHash[s]); }
            RemoveFromLru(s);
            Release(s);
            removed++;
        }

        return removed;
    }

    /// <summary>Forgets everything.</summary>
    public int Clear()
    {
        var count = _slotOf.Count;
        _slotOf.Clear();
        _engineSlot.Clear();
        _mru = _lru = _free = None;
        _highWater = 0;
        return count;
    }

    /// <summary>A block never outlives its parent: a provider cannot serve a prefix whose start has expired.</summary>
    private long CappedByParent(long expires, int parent) =>
        parent == None || _expires[parent] == 0 || expires == 0 ? expires : Math.Min(expires, _expires[parent]);

    // Engines never expire blocks: skipping the expiry array saves a cache miss per probe on large indexes.
    private bool Expired(int slot, long now) => _anyExpiry && _expires[slot] != 0 && _expires[slot] <= now;

    private bool IsLive(int slot) => slot < _highWater && _slotOf.TryGetValue(_key[slot], out var s) && s == slot;

    /// <summary>Moves a block and its ancestors to the front, the root most recent.</summary>
    private void TouchLine(int slot)
    {
        if (slot == None) { return; }
        var line = new List<int>();
        for (var s = slot; s != None; s = _parent[s]) { line.Add(s); }
        foreach (var s in line) { MoveToMru(s); }
    }

    private int Allocate()
    {
        if (_slotOf.Count >= _capacity && _lru != None)
        {
            // The least recent block is a leaf (ancestors are always more recent), so this removes one block.
            Evictions += RemoveSubtree(_lru);
        }

        if (_free != None)
        {
            var reused = _free;
            _free = _older[reused];
            Reset(reused);
            return reused;
        }

        if (_highWater == _key.Length) { Grow(); }
        Reset(_highWater);
        return _highWater++;
    }

    private void Reset(int slot)
    {
        _parent[slot] = _firstChild[slot] = _nextSibling[slot] = _prevSibling[slot] = _newer[slot] = _older[slot] = None;
        _expires[slot] = 0;
        _hasEngineHash[slot] = false;
    }

    private void Release(int slot)
    {
        _key[slot] = default;
        _older[slot] = _free;
        _free = slot;
    }

    private void Grow()
    {
        var size = (int)Math.Min(_capacity, Math.Max(16L, _key.Length * 2L));
        if (size == _key.Length) { size = _key.Length + 1; }
        Array.Resize(ref _key, size);
        Array.Resize(ref _parent, size);
        Array.Resize(ref _firstChild, size);
        Array.Resize(ref _nextSibling, size);
        Array.Resize(ref _prevSibling, size);
        Array.Resize(ref _newer, size);
        Array.Resize(ref _older, size);
        Array.Resize(ref _expires, size);
        Array.Resize(ref _engineHash, size);
        Array.Resize(ref _hasEngineHash, size);
    }

    private void Link(int slot, int parent)
    {
        _parent[slot] = parent;
        if (parent == None) { return; }
        var first = _firstChild[parent];
        _nextSibling[slot] = first;
        if (first != None) { _prevSibling[first] = slot; }
        _firstChild[parent] = slot;
    }

    private void Unlink(int slot)
    {
        var parent = _parent[slot];
        if (parent == None) { return; }
        var prev = _prevSibling[slot];
        var next = _nextSibling[slot];
        if (prev != None) { _nextSibling[prev] = next; } else { _firstChild[parent] = next; }
        if (next != None) { _prevSibling[next] = prev; }
        _parent[slot] = _prevSibling[slot] = _nextSibling[slot] = None;
    }

    private void PushMru(int slot)
    {
        _older[slot] = _mru;
        _newer[slot] = None;
        if (_mru != None) { _newer[_mru] = slot; }
        _mru = slot;
        if (_lru == None) { _lru = slot; }
    }

    private void RemoveFromLru(int slot)
    {
        var newer = _newer[slot];
        var older = _older[slot];
        if (newer != None) { _older[newer] = older; } else { _mru = older; }
        if (older != None) { _newer[older] = newer; } else { _lru = newer; }
        _newer[slot] = _older[slot] = None;
    }

    private void MoveToMru(int slot)
    {
        if (_mru == slot) { return; }
        RemoveFromLru(slot);
        PushMru(slot);
    }
}
