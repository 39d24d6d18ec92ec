using SemCache.Vectors;

namespace SemCache.Partitions;

/// <summary>
/// The entries of one (tenant, scope, context): the unit of similarity search. Its index holds
/// native memory, so every use happens inside a lease (<see cref="TryEnter"/> / <see cref="Exit"/>)
/// and the registry frees it only once no lease is held and it is empty.
/// </summary>
internal sealed class Partition(UInt128 key, string tenant, byte[] scopeFingerprint, PartitionIndex index) : IDisposable
{
    /// <summary>Lease-count value of a partition being dropped: no lease can be taken any more.</summary>
    private const int Dropping = int.MinValue;

    /// <summary>Leases held (≥ 0), or <see cref="Dropping"/>.</summary>
    private int _leases;

    public UInt128 Key { get; } = key;

    public string Tenant { get; } = tenant;

    public byte[] ScopeFingerprint { get; } = scopeFingerprint;

    public PartitionIndex Index { get; } = index;

    /// <summary>Bumped on every change; a snapshot is written only when it moved since the last one.</summary>
    public long Version;

    public long SnapshotVersion = -1;

    /// <summary>
    /// Kernel family and encoding (e.g. <c>native/float32</c>) under which the partition was counted when it
    /// entered the registry, so that it is uncounted under the same name when it leaves.
    /// </summary>
    public string KernelKey { get; } = index.KernelFamily + "/" + index.Options.Encoding.ToString().ToLowerInvariant();

    private int _faultReported;

    /// <summary>True exactly once: the caller logs the index's maintenance fault (it is never reported twice).</summary>
    public bool TryClaimFaultReport() => Index.MaintenanceFault is not null && Interlocked.Exchange(ref _faultReported, 1) == 0;

    /// <summary>Takes a lease; false when the partition is being dropped (the caller looks it up again).</summary>
    public bool TryEnter()
    {
        var current = Volatile.Read(ref _leases);
        while (current >= 0)
        {
            var seen = Interlocked.CompareExchange(ref _leases, current + 1, current);
            if (seen == current) { return true; }
            current = seen;
        }

        return false;
    }

    /// <summary>Returns a lease taken by <see cref="TryEnter"/>.</summary>
    public void Exit() => Interlocked.Decrement(ref _leases);

    /// <summary>
    /// Closes the partition to new leases if none is held. Adds happen only under a lease, so once
    /// this succeeds the entry count can no longer grow: the caller checks it and either frees the
    /// partition or reopens it with <see cref="Reopen"/>.
    /// </summary>
    public bool TryClose() => Interlocked.CompareExchange(ref _leases, Dropping, 0) == 0;

    /// <summary>Undoes a successful <see cref="TryClose"/> (an add slipped in before it).</summary>
    public void Reopen() => Volatile.Write(ref _leases, 0);

    public void Dispose() => Index.Dispose();
}
