namespace SemCache.Cluster.Replication;

/// <summary>
/// The last hits a group served (cluster id → copy and its local id), so that positive feedback reaches
/// the engine that served the hit. Bounded: the oldest is forgotten first.
/// </summary>
internal sealed class FeedbackMemory(int capacity)
{
    private readonly Dictionary<long, (string Silo, long LocalId)> _map = [];
    private readonly Queue<long> _order = new();

    public int Count => _map.Count;

    public void Remember(long id, string silo, long localId)
    {
        if (capacity <= 0) { return; }
        if (_map.TryAdd(id, (silo, localId)))
        {
            _order.Enqueue(id);
            while (_map.Count > capacity) { _map.Remove(_order.Dequeue()); }
        }
        else
        {
            _map[id] = (silo, localId);
        }
    }

    public bool TryGet(long id, out string silo, out long localId)
    {
        if (_map.TryGetValue(id, out var found))
        {
            (silo, localId) = found;
            return true;
        }

        (silo, localId) = (string.Empty, 0);
        return false;
    }
}
