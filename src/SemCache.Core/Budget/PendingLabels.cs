namespace SemCache.Budget;

/// <summary>A miss that had a candidate: when the prompt's fresh answer is stored, it labels the candidate.</summary>
internal readonly record struct PendingLabel(string Tenant, long CandidateId, float Similarity, ushort Vetoes, float Gap, float Score);

/// <summary>
/// Misses waiting for the application's fresh answer, keyed by the prompt's exact key (which
/// includes tenant, scope and context). Bounded: beyond the capacity the oldest is forgotten (that
/// label is simply not learned). Thread-safe.
/// </summary>
internal sealed class PendingLabels(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<UInt128, PendingLabel> _byKey = [];
    private readonly Queue<UInt128> _order = new();

    public int Count
    {
        get
        {
            lock (_gate) { return _byKey.Count; }
        }
    }

    public void Add(UInt128 key, PendingLabel label)
    {
        lock (_gate)
        {
            // A key already waiting keeps its place in the queue; its label is the newest.
            if (_byKey.TryAdd(key, label)) { _order.Enqueue(key); }
            else { _byKey[key] = label; }

            while (_byKey.Count > capacity) { _byKey.Remove(_order.Dequeue()); }

            // Keys taken stay in the queue until they reach its head; once they are half of it,
            // the queue is rebuilt from the live keys in order, so it never holds more than twice the capacity.
            if (_order.Count > 2 * capacity)
            {
                var live = _order.Where(_byKey.ContainsKey).Distinct().ToList();
                _order.Clear();
                foreach (var k in live) { _order.Enqueue(k); }
            }
        }
    }

    /// <summary>Items the queue holds, taken keys included (tests: it stays within twice the capacity).</summary>
    internal int QueueLength
    {
        get
        {
            lock (_gate) { return _order.Count; }
        }
    }

    public bool TryTake(UInt128 key, out PendingLabel label)
    {
        lock (_gate)
        {
            return _byKey.Remove(key, out label);
        }
    }
}
