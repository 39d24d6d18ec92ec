namespace SemCache.Expiry;

/// <summary>
/// Entry ids ordered by expiry time. Removing an entry early (replaced, invalidated, evicted) leaves
/// its item queued until its time comes, which may be a year away; once such stale items outnumber
/// the live ones the queue is rebuilt from the live entries, so its size stays within twice the
/// number of live expiring entries (plus <see cref="CompactionMinimum"/>). Not thread-safe: the
/// engine calls it under its gate.
/// </summary>
internal sealed class ExpiryQueue
{
    /// <summary>Below this many queued items the queue is never rebuilt (rebuilding tiny queues is waste).</summary>
    public const int CompactionMinimum = 64;

    private PriorityQueue<long, long> _queue = new();
    private long _live;
    private long _compactions;

    /// <summary>Items queued, stale ones included.</summary>
    public int Count => _queue.Count;

    /// <summary>Live entries with an expiry time.</summary>
    public long Live => _live;

    /// <summary>Times the queue was rebuilt.</summary>
    public long Compactions => _compactions;

    /// <summary>Queues an entry that expires at <paramref name="expiresTicks"/> (0: never; not queued).</summary>
    public void Add(long id, long expiresTicks)
    {
        if (expiresTicks == 0) { return; }
        _queue.Enqueue(id, expiresTicks);
        _live++;
    }

    /// <summary>
    /// Notes that a live entry with expiry <paramref name="expiresTicks"/> left memory; rebuilds the
    /// queue from <paramref name="liveEntries"/> (id and expiry of every live entry) when stale items
    /// now outnumber live ones.
    /// </summary>
    public void Removed(long expiresTicks, Func<IEnumerable<(long Id, long ExpiresTicks)>> liveEntries)
    {
        if (expiresTicks == 0) { return; }
        _live--;
        if (_live == 0)
        {
            // Nothing live is queued: every item left is stale.
            _queue.Clear();
            return;
        }

        if (_queue.Count < CompactionMinimum || _queue.Count <= 2 * _live) { return; }
        var rebuilt = new PriorityQueue<long, long>((int)_live);
        long live = 0;
        foreach (var (id, expires) in liveEntries())
        {
            if (expires == 0) { continue; }
            rebuilt.Enqueue(id, expires);
            live++;
        }

        _queue = rebuilt;
        _live = live;
        _compactions++;
    }

    /// <summary>Takes the next item due at <paramref name="nowTicks"/>; the caller checks that it is still live.</summary>
    public bool TryTakeDue(long nowTicks, out long id, out long expiresTicks)
    {
        if (_queue.TryPeek(out id, out expiresTicks) && expiresTicks <= nowTicks)
        {
            _queue.Dequeue();
            return true;
        }

        return false;
    }
}
