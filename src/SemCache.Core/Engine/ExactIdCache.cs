using System.IO.Hashing;
using System.Security.Cryptography;

namespace SemCache.Engine;

/// <summary>
/// Which entry an exact key named when it was last stored or served, for the keys seen most recently.
/// The store's exact-key record stays the one exact index; this only saves an exact hit what it costs
/// to find that record (a SHA-256 of the canonical encoding and a FASTER read): the canonical encoding
/// is hashed with XXH3-128 under a random per-instance seed instead, and found in a fixed array.
/// </summary>
/// <remarks>
/// Never trusted on its own: the engine serves an id found here only when the entry is still live in
/// memory and its stored tenant, scope, context and prompt match the request (the same checks as a
/// store read), so a slot of a removed entry or even a hash collision costs the slower path, never
/// another prompt's answer. A store sets the slot right after its write, before it removes the entry it
/// replaced; a read only fills a slot that does not hold its key (compare-and-swap). The one way to an
/// older answer of the same prompt is a read that found the replaced id, lost its slot to another key
/// and filled it back after the store, and then only while the replaced entry's removal has not
/// completed (it is removed right after the write; if that removal fails, the store call fails too).
/// Direct-mapped and lock-free: each slot holds one immutable pair, replaced whole, so a reader sees an
/// old or a new pair and never half of one. Bounded by construction: <c>capacity</c> slots, whatever
/// the traffic; a new key takes its slot from whichever key held it.
/// </remarks>
internal sealed class ExactIdCache
{
    private readonly Slot?[] _slots;
    private readonly int _mask;

    // Random per instance, so that nobody can compute which prompts share a slot or a hash.
    private readonly long _seed = BitConverter.ToInt64(RandomNumberGenerator.GetBytes(sizeof(long)));

    /// <param name="capacity">Slots; rounded up to a power of two. 0 disables the cache.</param>
    public ExactIdCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        var size = capacity == 0 ? 0 : (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _slots = new Slot?[size];
        _mask = size - 1;
    }

    /// <summary>Slots of the cache (its bound).</summary>
    public int Capacity => _slots.Length;

    /// <summary>Slots in use (tests and diagnostics; walks the array).</summary>
    public int Count
    {
        get
        {
            var n = 0;
            for (var i = 0; i < _slots.Length; i++) { if (Volatile.Read(ref _slots[i]) is not null) { n++; } }
            return n;
        }
    }

    /// <summary>The cache's hash of an exact key's canonical encoding.</summary>
    public UInt128 KeyOf(ReadOnlySpan<byte> canonical) => XxHash128.HashToUInt128(canonical, _seed);

    public bool TryGet(UInt128 key, out long id)
    {
        if (_slots.Length != 0 && Volatile.Read(ref _slots[(int)(ulong)key & _mask]) is { } slot && slot.Key == key)
        {
            id = slot.Id;
            return true;
        }

        id = 0;
        return false;
    }

    /// <summary>A store made <paramref name="id"/> the key's entry: it replaces whatever the slot held.</summary>
    public void Set(UInt128 key, long id)
    {
        if (_slots.Length != 0) { Volatile.Write(ref _slots[(int)(ulong)key & _mask], new Slot(key, id)); }
    }

    /// <summary>
    /// A read found <paramref name="id"/> under the key. Only fills the slot: if a store set the same key
    /// meanwhile, its newer id stays (a read that raced a store may have found the replaced entry).
    /// </summary>
    public void Fill(UInt128 key, long id)
    {
        if (_slots.Length == 0) { return; }
        ref var slot = ref _slots[(int)(ulong)key & _mask];
        var seen = Volatile.Read(ref slot);
        if (seen is not null && seen.Key == key) { return; }
        Interlocked.CompareExchange(ref slot, new Slot(key, id), seen);
    }

    private sealed record Slot(UInt128 Key, long Id);
}
