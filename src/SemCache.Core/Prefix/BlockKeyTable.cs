namespace SemCache.Prefix;

/// <summary>
/// Key → slot map of one backend: open addressing with linear probing and the key stored beside its slot, so a
/// probe of a large index costs one cache miss (a <see cref="Dictionary{TKey, TValue}"/> costs two: bucket, then
/// entry). Keys are outputs of a hash seeded with the server's secret, so their low bits index the table directly
/// and a caller cannot aim keys at one bucket. Load factor at most 3/4; deletion shifts the cluster back (no
/// tombstones). Not thread-safe.
/// </summary>
internal sealed class BlockKeyTable
{
    private const int MinimumSize = 16;
    private Entry[] _entries = new Entry[MinimumSize];
    private int _mask = MinimumSize - 1;

    public int Count { get; private set; }

    public IEnumerable<UInt128> Keys => _entries.Where(e => e.SlotPlusOne != 0).Select(e => e.Key);

    public bool TryGetValue(UInt128 key, out int slot)
    {
        var entries = _entries;
        var mask = _mask;
        for (var i = Home(key, mask); ; i = (i + 1) & mask)
        {
            ref readonly var entry = ref entries[i];
            if (entry.SlotPlusOne == 0)
            {
                slot = -1;
                return false;
            }

            if (entry.Key == key)
            {
                slot = entry.SlotPlusOne - 1;
                return true;
            }
        }
    }

    public bool ContainsKey(UInt128 key) => TryGetValue(key, out _);

    /// <summary>Adds the key or replaces its slot.</summary>
    public void Set(UInt128 key, int slot)
    {
        if ((Count + 1) * 4L > _entries.Length * 3L) { Resize(_entries.Length * 2); }
        if (Place(_entries, _mask, key, slot)) { Count++; }
    }

    public bool Remove(UInt128 key)
    {
        var entries = _entries;
        var mask = _mask;
        var i = Home(key, mask);
        while (true)
        {
            if (entries[i].SlotPlusOne == 0) { return false; }
            if (entries[i].Key == key) { break; }
            i = (i + 1) & mask;
        }

        // Backward shift: move later members of the cluster into the hole when their home allows it.
        var j = i;
        while (true)
        {
            j = (j + 1) & mask;
            if (entries[j].SlotPlusOne == 0) { break; }
            var home = Home(entries[j].Key, mask);
            var stays = i <= j ? i < home && home <= j : i < home || home <= j;
            if (stays) { continue; }
            entries[i] = entries[j];
            i = j;
        }

        entries[i] = default;
        Count--;
        return true;
    }

    public void Clear()
    {
        _entries = new Entry[MinimumSize];
        _mask = MinimumSize - 1;
        Count = 0;
    }

    private static int Home(UInt128 key, int mask) => (int)(ulong)key & mask;

    /// <summary>Returns true when the key was new.</summary>
    private static bool Place(Entry[] entries, int mask, UInt128 key, int slot)
    {
        for (var i = Home(key, mask); ; i = (i + 1) & mask)
        {
            ref var entry = ref entries[i];
            if (entry.SlotPlusOne == 0)
            {
                entry.Key = key;
                entry.SlotPlusOne = slot + 1;
                return true;
            }

            if (entry.Key == key)
            {
                entry.SlotPlusOne = slot + 1;
                return false;
            }
        }
    }

    private void Resize(int size)
    {
        var entries = new Entry[size];
        foreach (var entry in _entries)
        {
            if (entry.SlotPlusOne != 0) { Place(entries, size - 1, entry.Key, entry.SlotPlusOne - 1); }
        }

        _entries = entries;
        _mask = size - 1;
    }

    private struct Entry
    {
        public UInt128 Key;
        public int SlotPlusOne;
    }
}
