using System.Collections.Concurrent;
using SemCache.Vectors;

namespace SemCache.Partitions;

/// <summary>
/// Owns partition lifecycle: a partition is created by the first store into its (tenant, scope,
/// context), and dropped (its index and native memory freed) as soon as its last entry leaves and
/// no lease is held. Without the drop, every conversation state or fresh <c>scope.extra</c> would
/// leave a ~27 KB arena behind forever.
/// </summary>
/// <remarks>
/// Race between a store's get-or-add and a drop: the dropper first closes the partition to new
/// leases (<see cref="Partition.TryClose"/>), re-checks that it is empty, removes it from the map and
/// only then frees it. A store that meets a closing partition waits for the outcome (reopened, or
/// gone from the map so it creates a new one); it never adds into a freed index.
/// </remarks>
/// <param name="indexOptions">Options of every partition's index.</param>
/// <param name="partitionBytes">Fixed cost of a partition, passed to <paramref name="charge"/>.</param>
/// <param name="charge">
/// Called once when a partition enters the registry (with <paramref name="partitionBytes"/>) and once when
/// it leaves (with its negation): the engine keeps per-tenant bytes, partition counts and kernel counts
/// from it, so per-tenant figures never scan the partitions.
/// </param>
internal sealed class PartitionRegistry(VectorIndexOptions indexOptions, long partitionBytes = 0, Action<Partition, long>? charge = null) : IDisposable
{
    private readonly ConcurrentDictionary<UInt128, Partition> _map = new();
    private long _created;
    private long _dropped;

    /// <summary>Partitions currently held (empty ones included until their last lease is returned).</summary>
    public int Count => _map.Count;

    /// <summary>Partitions created since open (tests and diagnostics).</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>Partitions dropped since open (tests and diagnostics).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>A moment's view of the partitions; use each only inside a lease.</summary>
    public ICollection<Partition> All => _map.Values;

    /// <summary>
    /// Native and managed bytes held by all partitions' indexes plus the fixed cost of each
    /// partition, for capacity accounting.
    /// </summary>
    public long MemoryBytes
    {
        get
        {
            long total = 0;
            foreach (var partition in _map.Values)
            {
                if (!partition.TryEnter()) { continue; }
                try
                {
                    total += partition.Index.MemoryBytes + PartitionOverheadBytes;
                }
                finally
                {
                    Exit(partition);
                }
            }

            return total;
        }
    }

    /// <summary>Managed cost of a partition beside its index: the object, its key, tenant and scope fingerprint, map node.</summary>
    public const long PartitionOverheadBytes = 256;

    /// <summary>
    /// The partition for <paramref name="key"/>, created when absent, with a lease the caller
    /// returns through <see cref="Exit"/>.
    /// </summary>
    public Partition Enter(UInt128 key, string tenant, byte[] scopeFingerprint)
    {
        var spin = default(SpinWait);
        while (true)
        {
            if (_map.TryGetValue(key, out var existing))
            {
                if (existing.TryEnter()) { return existing; }

                // Being dropped: it is either reopened or removed from the map in a moment.
                spin.SpinOnce();
                continue;
            }

            var created = new Partition(key, tenant, scopeFingerprint, new PartitionIndex(indexOptions));
            created.TryEnter();
            if (_map.TryAdd(key, created))
            {
                Interlocked.Increment(ref _created);
                charge?.Invoke(created, partitionBytes);
                return created;
            }

            // Lost the race to another creator: free ours (nobody else saw it) and use theirs.
            created.Dispose();
        }
    }

    /// <summary>The existing partition for <paramref name="key"/> with a lease; false when there is none.</summary>
    public bool TryEnter(UInt128 key, out Partition partition)
    {
        var spin = default(SpinWait);
        while (_map.TryGetValue(key, out partition!))
        {
            if (partition.TryEnter()) { return true; }
            spin.SpinOnce();
        }

        return false;
    }

    /// <summary>Returns a lease; drops the partition when it is now empty and unused.</summary>
    public void Exit(Partition partition)
    {
        partition.Exit();
        if (partition.Index.Count == 0) { TryDrop(partition); }
    }

    /// <summary>Adds a partition restored from a snapshot at open; a later duplicate replaces and frees an earlier one.</summary>
    public void Adopt(Partition partition)
    {
        Partition? replaced = null;
        _map.AddOrUpdate(partition.Key, partition, (_, old) =>
        {
            replaced = old;
            return partition;
        });
        if (replaced is null) { charge?.Invoke(partition, partitionBytes); }
        replaced?.Dispose();
        Interlocked.Increment(ref _created);
    }

    /// <summary>Drops every partition that is empty and unused (after recovery reconciled snapshots with the log).</summary>
    public void DropEmpty()
    {
        foreach (var partition in _map.Values)
        {
            if (partition.Index.Count == 0) { TryDrop(partition); }
        }
    }

    /// <summary>
    /// Drops the partition of <paramref name="key"/> outright when <paramref name="keys"/> are exactly
    /// its live entries (invalidating a scope, or a tag that covers a whole conversation): freeing
    /// the index beats removing each vector, which would also trigger rebuilds on the way down.
    /// False when the partition holds anything else or is in use; the caller then removes one by one.
    /// </summary>
    public bool TryDropAll(UInt128 key, IReadOnlyCollection<long> keys)
    {
        if (!_map.TryGetValue(key, out var partition) || partition.Index.Count != keys.Count) { return false; }
        if (!partition.TryClose()) { return false; }

        // Closed: nobody can add or search; the index is still intact, so it can be inspected.
        if (partition.Index.Count != keys.Count || !keys.All(partition.Index.Contains))
        {
            partition.Reopen();
            return false;
        }

        if (_map.TryRemove(new KeyValuePair<UInt128, Partition>(key, partition)))
        {
            Interlocked.Increment(ref _dropped);
            charge?.Invoke(partition, -partitionBytes);
        }

        partition.Dispose();
        return true;
    }

    private void TryDrop(Partition partition)
    {
        if (!partition.TryClose()) { return; }

        // Closed: no lease is held and none can be taken, so no add can run. An add that slipped in
        // between the caller's emptiness check and the close is seen here.
        if (partition.Index.Count != 0)
        {
            partition.Reopen();
            return;
        }

        if (_map.TryRemove(new KeyValuePair<UInt128, Partition>(partition.Key, partition)))
        {
            Interlocked.Increment(ref _dropped);
            charge?.Invoke(partition, -partitionBytes);
        }

        partition.Dispose();
    }

    public void Dispose()
    {
        foreach (var partition in _map.Values) { partition.Dispose(); }
        _map.Clear();
    }
}
