using System.Collections.Concurrent;
using SemCache.Cluster.Grains;

namespace SemCache.Cluster.Replication;

/// <summary>This silo's cluster counters for the dashboard: active group coordinators and where API calls went.</summary>
internal sealed class ClusterCounters
{
    private readonly ConcurrentDictionary<string, byte> _primaries = new(StringComparer.Ordinal);
    private long _forwarded;
    private long _local;
    private long _remoteCopyCalls;
    private long _movesDone;
    private long _movesPending;
    private long _copiesFilled;
    private long _entriesCopied;

    /// <summary>Groups whose coordinator is active here (bounded by the groups the cluster holds).</summary>
    public ICollection<string> Primaries => _primaries.Keys;

    /// <summary>API calls that reached a group coordinator on another silo than the one that received them.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>API calls whose group coordinator was on the silo that received them.</summary>
    public long Local => Interlocked.Read(ref _local);

    /// <summary>Calls from coordinators here to copies on other silos (replica writes, reads of a remote copy).</summary>
    public long RemoteCopyCalls => Interlocked.Read(ref _remoteCopyCalls);

    public void Activated(string group) => _primaries[group] = 0;

    public void Deactivated(string group) => _primaries.TryRemove(group, out _);

    public void Received(bool forwarded)
    {
        if (forwarded) { Interlocked.Increment(ref _forwarded); }
        else { Interlocked.Increment(ref _local); }
    }

    public void RemoteCopyCall() => Interlocked.Increment(ref _remoteCopyCalls);

    /// <summary>Placement work: checks that moved something, checks waiting, copies filled and the entries they copied.</summary>
    public MoveCounts Moves => new(
        Interlocked.Read(ref _movesDone),
        Interlocked.Read(ref _movesPending),
        Interlocked.Read(ref _copiesFilled),
        Interlocked.Read(ref _entriesCopied));

    public void MoveDone() => Interlocked.Increment(ref _movesDone);

    public void MovesPending(long count) => Interlocked.Exchange(ref _movesPending, count);

    public void CopyFilled(long entries)
    {
        Interlocked.Increment(ref _copiesFilled);
        Interlocked.Add(ref _entriesCopied, entries);
    }
}
