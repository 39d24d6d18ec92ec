using SemCache.Verification;

namespace SemCache.Engine;

/// <summary>
/// Verifier features of stored prompts, for the entries most recently checked as candidates. Keeping
/// one <see cref="PromptAnalysis"/> per entry (~17 arrays) cost more managed memory than everything
/// else the engine holds per entry; a bounded LRU keeps the hot ones and re-analyses the rest from
/// the stored prompt on demand.
/// </summary>
internal sealed class AnalysisCache(int capacity)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, LinkedListNode<(long Id, PromptAnalysis Analysis)>> _map = new(Math.Min(capacity, 1024));
    private readonly LinkedList<(long Id, PromptAnalysis Analysis)> _order = new();

    /// <summary>Analyses held (at most the capacity).</summary>
    public int Count
    {
        get
        {
            lock (_gate) { return _map.Count; }
        }
    }

    public bool TryGet(long id, out PromptAnalysis analysis)
    {
        lock (_gate)
        {
            if (_map.TryGetValue(id, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                analysis = node.Value.Analysis;
                return true;
            }
        }

        analysis = null!;
        return false;
    }

    public void Set(long id, PromptAnalysis analysis)
    {
        if (capacity <= 0) { return; }
        lock (_gate)
        {
            if (_map.TryGetValue(id, out var existing))
            {
                _order.Remove(existing);
                _map.Remove(id);
            }

            _map[id] = _order.AddFirst((id, analysis));
            if (_map.Count > capacity)
            {
                var last = _order.Last!;
                _order.RemoveLast();
                _map.Remove(last.Value.Id);
            }
        }
    }

    public void Remove(long id)
    {
        lock (_gate)
        {
            if (_map.Remove(id, out var node)) { _order.Remove(node); }
        }
    }
}
