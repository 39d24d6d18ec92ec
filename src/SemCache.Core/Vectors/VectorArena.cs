using System.IO.MemoryMappedFiles;
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
/// owning graph holds one reference, every search in flight one more (<see cref="PinnedMemory.TryAcquire"/>). Retiring the
/// arena (<see cref="Dispose"/>, after growth or when its generation is swapped out) drops the owner's reference,
/// and the blocks are freed by whoever lets go last, never by a finalizer and never under a reader (see
/// <see cref="PinnedMemory"/>). That is what lets searches run without taking any lock.
/// </remarks>
internal sealed unsafe class VectorArena : PinnedMemory, IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;

    /// <param name="capacity">Nodes.</param>
    /// <param name="stride">Floats per vector slot.</param>
    /// <param name="linkStride">Uints per level-0 record.</param>
    /// <param name="ledger">Counts this arena while it is allocated (tests and diagnostics of reclamation).</param>
    /// <param name="vectorDirectory">
    /// Null: float32 vectors in process memory. Else a directory for a memory-mapped file that holds them instead (the
    /// quantised encodings, which read float32 only to build links and to re-rank): the kernel pages it in and out,
    /// so it costs page cache and disk, not process memory. The file is unlinked at once where the OS allows (nothing
    /// is left behind by a crash) and deleted on close elsewhere.
    /// </param>
    public VectorArena(int capacity, int stride, int linkStride, ArenaLedger? ledger = null, string? vectorDirectory = null)
        : this(capacity, stride, linkStride, ledger, vectorDirectory, clearFrom: 0)
    {
    }

    /// <summary>Allocates; the native blocks are zeroed from slot <paramref name="clearFrom"/> on (growth overwrites the slots below).</summary>
    private VectorArena(int capacity, int stride, int linkStride, ArenaLedger? ledger, string? vectorDirectory, int clearFrom)
        : base(ledger)
    {
        Capacity = Math.Max(capacity, 1);
        Stride = stride;
        LinkStride = linkStride;
        VectorBytes = (nuint)Capacity * (nuint)stride * sizeof(float);
        LinkBytes = (nuint)Capacity * (nuint)linkStride * sizeof(uint);
        VectorDirectory = vectorDirectory;
        if (vectorDirectory is null)
        {
            Vectors = (float*)LargeBlocks.Allocate(VectorBytes);
        }
        else
        {
            (_map, _view, var address) = MapVectorFile(vectorDirectory, VectorBytes);
            Vectors = (float*)address;
        }

        Links = (uint*)LargeBlocks.Allocate(LinkBytes);
        // Zero padding lets kernels read whole strides; zero link counts mean "no links yet". Slots a growth copies
        // into are not cleared first: on a large arena that halves the time writers wait for the copy. A mapped file
        // is sparse and reads as zeros already.
        var vectorsFrom = (nuint)clearFrom * (nuint)stride * sizeof(float);
        var linksFrom = (nuint)clearFrom * (nuint)linkStride * sizeof(uint);
        if (vectorDirectory is null)
        {
            NativeMemory.Clear((byte*)Vectors + vectorsFrom, VectorBytes - vectorsFrom);
        }

        NativeMemory.Clear((byte*)Links + linksFrom, LinkBytes - linksFrom);
        GC.AddMemoryPressure((long)(MemoryVectorBytes + LinkBytes));
        Keys = new long[Capacity];
        Levels = new byte[Capacity];
        Deleted = new byte[Capacity];
        Locks = new int[Capacity];
        Upper = new uint[]?[Capacity];
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

    /// <summary>Where the float32 vectors are mapped from a file; null when they are in process memory.</summary>
    public string? VectorDirectory { get; }

    /// <summary>Float32 bytes in process memory (0 when they live in a mapped file).</summary>
    public nuint MemoryVectorBytes => VectorDirectory is null ? VectorBytes : 0;

    /// <summary>Float32 bytes in the mapped file (0 when in process memory).</summary>
    public long FileVectorBytes => VectorDirectory is null ? 0 : (long)VectorBytes;

    /// <summary>Process memory held by this arena (native blocks and the per-node arrays, not the upper link lists).</summary>
    public long Bytes => (long)(MemoryVectorBytes + LinkBytes) + ((long)Capacity * (sizeof(long) + 1 + 1 + sizeof(int) + IntPtr.Size));

    public float* Vector(uint id) => Vectors + ((nuint)id * (nuint)Stride);

    public uint* Level0(uint id) => Links + ((nuint)id * (nuint)LinkStride);

    /// <summary>A larger arena holding copies of the first <paramref name="count"/> nodes.</summary>
    public VectorArena Grow(int newCapacity, int count) => CopyTo(newCapacity, count, VectorDirectory);

    /// <summary>An arena of <paramref name="newCapacity"/> with its vectors in <paramref name="vectorDirectory"/> (null: memory), holding copies of the first <paramref name="count"/> nodes.</summary>
    public VectorArena CopyTo(int newCapacity, int count, string? vectorDirectory)
    {
        var next = new VectorArena(newCapacity, Stride, LinkStride, Ledger, vectorDirectory, clearFrom: count);
        CopyInto(next, vectorsFrom: 0, count);
        return next;
    }

    /// <summary>
    /// A larger, zeroed arena with the vectors of the first <paramref name="count"/> nodes already copied in: the
    /// expensive part of a growth (allocation, first touch of the pages, most of the vector copy), done ahead of time
    /// off the writers' lock. Vectors never change once appended, so any arena holding those nodes is a valid source.
    /// The vectors go to <paramref name="vectorDirectory"/> (null: memory): a growth keeps this arena's, the first
    /// quantisation of a graph moves them to a mapped file.
    /// </summary>
    public VectorArena Prepare(int newCapacity, int count, string? vectorDirectory)
    {
        var next = new VectorArena(newCapacity, Stride, LinkStride, Ledger, vectorDirectory, clearFrom: 0);
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

    /// <summary>Retires the arena: drops the owner's reference (once); readers still pinning it finish first.</summary>
    public void Dispose() => ReleaseOwner();

    protected override void Free()
    {
        if (_view is null)
        {
            LargeBlocks.Free(Vectors);
        }
        else
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map!.Dispose();
        }

        LargeBlocks.Free(Links);
        GC.RemoveMemoryPressure((long)(MemoryVectorBytes + LinkBytes));
    }

    private static (MemoryMappedFile Map, MemoryMappedViewAccessor View, nint Address) MapVectorFile(string directory, nuint bytes)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"semcache-float32-{Guid.NewGuid():N}.bin");
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, OperatingSystem.IsWindows() ? FileOptions.DeleteOnClose : FileOptions.None);
        try
        {
            if (!OperatingSystem.IsWindows())
            {
                File.Delete(path); // the open handle and the mapping keep the inode alive
            }

            stream.SetLength((long)bytes); // sparse: reads as zeros, like the cleared memory block
            var map = MemoryMappedFile.CreateFromFile(stream, null, (long)bytes, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            var view = map.CreateViewAccessor(0, (long)bytes, MemoryMappedFileAccess.ReadWrite);
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);

            // Mappings start on a page boundary, so the 64-byte alignment of the memory block holds here too.
            return (map, view, (nint)(pointer + view.PointerOffset));
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
