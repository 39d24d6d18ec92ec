using System.Runtime.InteropServices;

namespace SemCache.Vectors;

/// <summary>
/// The memory of one graph: vectors in a 64-byte-aligned native block (stride padded to 16 floats with zeros,
/// so kernels never need a tail), level-0 link records in a second native block, and the managed per-node
/// arrays that share its capacity.
/// </summary>
/// <remarks>
/// An arena never moves. Growing copies into a larger arena that is then published; readers that still hold
/// the old one keep reading a consistent (slightly stale) copy. The native blocks are reference counted: the
/// owning graph holds one reference, every search in flight one more (<see cref="TryAcquire"/>). Retiring the
/// arena (<see cref="Dispose"/>, after growth or when its generation is swapped out) drops the owner's reference,
/// and the blocks are freed by whoever lets go last, never by a finalizer and never under a reader. That is
/// what lets searches run without taking any lock.
/// </remarks>
internal sealed unsafe class VectorArena : IDisposable
{
    private readonly ArenaLedger? _ledger;
    private int _references = 1;
    private int _ownerReleased;

    public VectorArena(int capacity, int stride, int linkStride, ArenaLedger? ledger = null)
        : this(capacity, stride, linkStride, ledger, clearFrom: 0)
    {
    }

    /// <summary>Allocates; the native blocks are zeroed from slot <paramref name="clearFrom"/> on (growth overwrites the slots below).</summary>
    private VectorArena(int capacity, int stride, int linkStride, ArenaLedger? ledger, int clearFrom)
    {
        _ledger = ledger;
        Capacity = Math.Max(capacity, 1);
        Stride = stride;
        LinkStride = linkStride;
        VectorBytes = (nuint)Capacity * (nuint)stride * sizeof(float);
        LinkBytes = (nuint)Capacity * (nuint)linkStride * sizeof(uint);
        Vectors = (float*)NativeMemory.AlignedAlloc(VectorBytes, 64);
        Links = (uint*)NativeMemory.AlignedAlloc(LinkBytes, 64);
        // Zero padding lets kernels read whole strides; zero link counts mean "no links yet". Slots a growth copies
        // into are not cleared first: on a large arena that halves the time writers wait for the copy.
        var vectorsFrom = (nuint)clearFrom * (nuint)stride * sizeof(float);
        var linksFrom = (nuint)clearFrom * (nuint)linkStride * sizeof(uint);
        NativeMemory.Clear((byte*)Vectors + vectorsFrom, VectorBytes - vectorsFrom);
        NativeMemory.Clear((byte*)Links + linksFrom, LinkBytes - linksFrom);
        GC.AddMemoryPressure((long)(VectorBytes + LinkBytes));
        Keys = new long[Capacity];
        Levels = new byte[Capacity];
        Deleted = new byte[Capacity];
        Locks = new int[Capacity];
        Upper = new uint[]?[Capacity];
        _ledger?.OnAllocated();
    }

    public int Capacity { get; }

    /// <summary>Floats per vector slot (dimensions rounded up to a multiple of 16).</summary>
    public int Stride { get; }

    /// <summary>Uints per level-0 record: the link count, then 2M ids.</summary>
    public int LinkStride { get; }

    public nuint VectorBytes { get; }

    public nuint LinkBytes { get; }

    public float* Vectors { get; }

    public uint* Links { get; }

    /// <summary>The caller's key of each node.</summary>
    public long[] Keys { get; }

    /// <summary>The top level of each node.</summary>
    public byte[] Levels { get; }

    /// <summary>1 for a tombstone: still traversed, never returned.</summary>
    public byte[] Deleted { get; }

    /// <summary>Per-node spin locks taken by writers that change the node's links.</summary>
    public int[] Locks { get; }

    /// <summary>Links above level 0: for a node of level L, L records of (count, M ids); null for level 0.</summary>
    public uint[]?[] Upper { get; }

    /// <summary>Bytes held by this arena (native blocks and the per-node arrays, not the upper link lists).</summary>
    public long Bytes => (long)(VectorBytes + LinkBytes) + ((long)Capacity * (sizeof(long) + 1 + 1 + sizeof(int) + IntPtr.Size));

    public float* Vector(uint id) => Vectors + ((nuint)id * (nuint)Stride);

    public uint* Level0(uint id) => Links + ((nuint)id * (nuint)LinkStride);

    /// <summary>A larger arena holding copies of the first <paramref name="count"/> nodes.</summary>
    public VectorArena Grow(int newCapacity, int count)
    {
        var next = new VectorArena(newCapacity, Stride, LinkStride, _ledger, clearFrom: count);
        CopyInto(next, vectorsFrom: 0, count);
        return next;
    }

    /// <summary>
    /// A larger, zeroed arena with the vectors of the first <paramref name="count"/> nodes already copied in: the
    /// expensive part of a growth (allocation, first touch of the pages, most of the vector copy), done ahead of time
    /// off the writers' lock. Vectors never change once appended, so any arena holding those nodes is a valid source.
    /// </summary>
    public VectorArena Prepare(int newCapacity, int count)
    {
        var next = new VectorArena(newCapacity, Stride, LinkStride, _ledger, clearFrom: 0);
        Buffer.MemoryCopy(Vectors, next.Vectors, next.VectorBytes, (nuint)count * (nuint)Stride * sizeof(float));
        next.PreparedVectors = count;
        return next;
    }

    /// <summary>Nodes whose vectors <see cref="Prepare"/> copied in already.</summary>
    public int PreparedVectors { get; private set; }

    /// <summary>
    /// Copies the first <paramref name="count"/> nodes into <paramref name="next"/>: vectors from
    /// <paramref name="vectorsFrom"/> on (those below were prepared), links and per-node arrays from 0.
    /// </summary>
    public void CopyInto(VectorArena next, int vectorsFrom, int count)
    {
        var stride = (nuint)Stride * sizeof(float);
        Buffer.MemoryCopy(Vectors + ((nuint)vectorsFrom * (nuint)Stride), next.Vectors + ((nuint)vectorsFrom * (nuint)Stride), next.VectorBytes - ((nuint)vectorsFrom * stride), (nuint)(count - vectorsFrom) * stride);
        Buffer.MemoryCopy(Links, next.Links, next.LinkBytes, (nuint)count * (nuint)LinkStride * sizeof(uint));
        Array.Copy(Keys, next.Keys, count);
        Array.Copy(Levels, next.Levels, count);
        Array.Copy(Deleted, next.Deleted, count);
        Array.Copy(Upper, next.Upper, count);
    }

    /// <summary>True once the native blocks are gone (every reference, the owner's included, was released).</summary>
    public bool IsFreed => Volatile.Read(ref _references) == 0;

    /// <summary>
    /// Pins the native blocks for a reader; false once they were freed (the reader must then look for the arena
    /// that replaced this one). Every success must be paired with one <see cref="Release"/>.
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

        // Zero is final: a freed arena is never revived.
        return false;
    }

    /// <summary>Drops one reference; the last one frees the native blocks.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            NativeMemory.AlignedFree(Vectors);
            NativeMemory.AlignedFree(Links);
            GC.RemoveMemoryPressure((long)(VectorBytes + LinkBytes));
            _ledger?.OnFreed();
        }
    }

    /// <summary>Retires the arena: drops the owner's reference (once); readers still pinning it finish first.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _ownerReleased, 1) == 0)
        {
            Release();
        }
    }
}
