using SemCache.Vectors;

namespace SemCache.Partitions;

/// <summary>The entries of one (tenant, scope, context): the unit of similarity search.</summary>
internal sealed class Partition(UInt128 key, string tenant, byte[] scopeFingerprint, PartitionIndex index) : IDisposable
{
    public UInt128 Key { get; } = key;

    public string Tenant { get; } = tenant;

    public byte[] ScopeFingerprint { get; } = scopeFingerprint;

    public PartitionIndex Index { get; } = index;

    /// <summary>Bumped on every change; a snapshot is written only when it moved since the last one.</summary>
    public long Version;

    public long SnapshotVersion = -1;

    public void Dispose() => Index.Dispose();
}
