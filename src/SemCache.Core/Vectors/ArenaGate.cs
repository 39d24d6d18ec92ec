namespace SemCache.Vectors;

/// <summary>
/// Keeps a graph's arena still while nodes are linked into it: any number of linkers share it, and the rare
/// operations that replace or read the whole arena (growth, snapshot, retirement) hold it alone.
/// </summary>
/// <remarks>
/// Why not <see cref="ReaderWriterLockSlim"/>: the shared side is entered once per link, on many threads, and must
/// stay a pair of interlocked operations; the exclusive side is taken a handful of times per doubling of the arena
/// and waits at most for the links already running (a link takes about a millisecond). The exclusive side is
/// preferred: once requested, new linkers wait, so a stream of inserts cannot starve growth. Searches never enter
/// it; they pin the arena they read with a reference (see <see cref="PinnedMemory.TryAcquire"/>).
/// </remarks>
internal sealed class ArenaGate
{
    private int _shared;
    private int _exclusive;

    public void EnterShared()
    {
        var spinner = default(SpinWait);
        while (true)
        {
            if (Volatile.Read(ref _exclusive) == 0)
            {
                // Announce first, then re-check: an exclusive holder that set its flag before our increment waits for
                // us to leave again; one that sets it after sees our count.
                Interlocked.Increment(ref _shared);
                if (Volatile.Read(ref _exclusive) == 0)
                {
                    return;
                }

                Interlocked.Decrement(ref _shared);
            }

            spinner.SpinOnce();
        }
    }

    public void ExitShared() => Interlocked.Decrement(ref _shared);

    public void EnterExclusive()
    {
        var spinner = default(SpinWait);
        while (Interlocked.CompareExchange(ref _exclusive, 1, 0) != 0)
        {
            spinner.SpinOnce();
        }

        while (Volatile.Read(ref _shared) != 0)
        {
            spinner.SpinOnce();
        }
    }

    public void ExitExclusive() => Volatile.Write(ref _exclusive, 0);
}

/// <summary>
/// Counts the native arenas of one index that are still allocated: after growth and generation swaps only the
/// current arena should remain once readers have left, which is what the tests and <see cref="PartitionIndex"/>
/// diagnostics check.
/// </summary>
internal sealed class ArenaLedger
{
    private long _live;
    private long _freed;

    /// <summary>Arenas allocated and not yet freed.</summary>
    public long Live => Interlocked.Read(ref _live);

    /// <summary>Arenas freed so far (retired generations and outgrown arenas whose last reader left).</summary>
    public long FreedCount => Interlocked.Read(ref _freed);

    public void OnAllocated() => Interlocked.Increment(ref _live);

    public void OnFreed()
    {
        Interlocked.Decrement(ref _live);
        Interlocked.Increment(ref _freed);
    }
}
