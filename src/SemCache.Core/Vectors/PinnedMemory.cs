namespace SemCache.Vectors;

/// <summary>
/// Native memory shared by one owner and lock-free readers, freed by whoever lets go last: the owner holds one
/// reference, every reader in flight one more (<see cref="TryAcquire"/>/<see cref="Release"/>). Retiring it
/// (<see cref="ReleaseOwner"/>) drops the owner's reference once; the memory is freed when the count reaches zero,
/// never by a finalizer and never under a reader. The vector arenas and the quantised code arenas of a graph share
/// this one mechanism, and report to the same <see cref="ArenaLedger"/>.
/// </summary>
internal abstract class PinnedMemory
{
    private readonly ArenaLedger? _ledger;
    private int _references = 1;
    private int _ownerReleased;

    protected PinnedMemory(ArenaLedger? ledger)
    {
        _ledger = ledger;
        _ledger?.OnAllocated();
    }

    /// <summary>The ledger this memory reports to (passed on to the larger copy a growth makes).</summary>
    protected ArenaLedger? Ledger => _ledger;

    /// <summary>True once the memory is gone (every reference, the owner's included, was released).</summary>
    public bool IsFreed => Volatile.Read(ref _references) == 0;

    /// <summary>
    /// Pins the memory for a reader; false once it was freed (the reader must then look for what replaced it).
    /// Every success must be paired with one <see cref="Release"/>.
    /// </summary>
    public bool TryAcquire()
    {
        var seen = Volatile.Read(ref _references);
        while (seen > 0)
        {
            var witnessed = Interlocked.CompareExchange(ref _references, seen + 1, seen);
            if (witnessed == seen)
            {
                return true;
            }

            seen = witnessed;
        }

        // Zero is final: freed memory is never revived.
        return false;
    }

    /// <summary>Drops one reference; the last one frees the memory.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            Free();
            _ledger?.OnFreed();
        }
    }

    /// <summary>Retires the memory: drops the owner's reference (once); readers still pinning it finish first.</summary>
    protected void ReleaseOwner()
    {
        if (Interlocked.Exchange(ref _ownerReleased, 1) == 0)
        {
            Release();
        }
    }

    /// <summary>Frees the native memory; called exactly once, by the last reference.</summary>
    protected abstract void Free();
}
