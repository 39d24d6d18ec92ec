namespace SemCache.Prefix;

/// <summary>
/// Stored-block events whose parent has not arrived yet (engines publish from several threads, and a transport may
/// reorder), keyed by the parent's engine hash. Bounded: past the capacity the oldest wait goes. Not thread-safe.
/// </summary>
internal sealed class PendingStores(int capacity)
{
    private readonly Dictionary<ulong, List<Item>> _byParent = [];
    private readonly Queue<Item> _order = new();

    /// <summary>Events waiting.</summary>
    public int Count { get; private set; }

    /// <summary>Blocks in the waiting events.</summary>
    public long Blocks { get; private set; }

    /// <summary>Blocks dropped because the buffer was full.</summary>
    public long Dropped { get; private set; }

    public void Add(ulong parent, ulong[] hashes, int[] tokens)
    {
        while (Count >= capacity && _order.TryDequeue(out var oldest))
        {
            if (oldest.Done) { continue; }
            Finish(oldest);
            _byParent[oldest.Parent].Remove(oldest);
            if (_byParent[oldest.Parent].Count == 0) { _byParent.Remove(oldest.Parent); }
            Dropped += oldest.Hashes.Length;
        }

        var item = new Item(parent, hashes, tokens);
        if (!_byParent.TryGetValue(parent, out var list)) { _byParent[parent] = list = []; }
        list.Add(item);
        _order.Enqueue(item);
        Count++;
        Blocks += hashes.Length;
        if (_order.Count > 2 * Math.Max(capacity, 16))
        {
            // Resolved items linger in the queue until dequeued; compact so the queue stays within the bound too.
            var live = _order.Where(i => !i.Done).ToList();
            _order.Clear();
            foreach (var i in live) { _order.Enqueue(i); }
        }
    }

    /// <summary>Takes the events waiting for <paramref name="parent"/>, oldest first.</summary>
    public List<Item>? Take(ulong parent)
    {
        if (!_byParent.Remove(parent, out var list)) { return null; }
        foreach (var item in list) { Finish(item); }
        return list;
    }

    public void Clear()
    {
        _byParent.Clear();
        _order.Clear();
        Count = 0;
        Blocks = 0;
    }

    private void Finish(Item item)
    {
        item.Done = true;
        Count--;
        Blocks -= item.Hashes.Length;
    }

    internal sealed class Item(ulong parent, ulong[] hashes, int[] tokens)
    {
        public ulong Parent { get; } = parent;
        public ulong[] Hashes { get; } = hashes;
        public int[] Tokens { get; } = tokens;
        public bool Done { get; set; }
    }
}
