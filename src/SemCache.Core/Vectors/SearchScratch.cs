using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SemCache.Vectors;

/// <summary>
/// Per-thread working memory of searches and inserts: generation-stamped visited marks (never cleared per
/// search, only when the 16-bit generation wraps), the two heaps, selection buffers and a 64-byte-aligned,
/// zero-padded copy of the query. One instance per thread, shared by every index the thread touches.
/// </summary>
internal sealed unsafe class SearchScratch
{
    [ThreadStatic]
    private static SearchScratch? t_current;

    private ushort[] _visited = [];
    private ushort _generation;
    private float[] _query = [];
    private int _queryOffset;
    private uint[] _batchIds = [];
    private float[] _batchSimilarities = [];

    public static SearchScratch Current => t_current ??= new SearchScratch();

    public MaxHeap Frontier { get; } = new();

    public MinHeap Found { get; } = new();

    /// <summary>Layer-search results sorted best first, input of the neighbour selection.</summary>
    public Candidate[] Work { get; private set; } = new Candidate[256];

    /// <summary>Output of the neighbour selection.</summary>
    public Candidate[] Selected { get; private set; } = new Candidate[256];

    /// <summary>Starts a traversal: returns marks sized for <paramref name="capacity"/> nodes and a fresh stamp.</summary>
    public ushort[] BeginVisit(int capacity, out ushort generation)
    {
        if (_visited.Length < capacity)
        {
            _visited = new ushort[Math.Max(capacity, _visited.Length * 2)];
            _generation = 0;
        }

        if (++_generation == 0)
        {
            Array.Clear(_visited);
            _generation = 1;
        }

        generation = _generation;
        return _visited;
    }

    /// <summary>
    /// Pinned buffers for one gathered batch of neighbour ids and their similarities, at least <paramref name="size"/>
    /// long. Heap memory rather than the searches' own stackalloc: the JIT cannot replace a running method that uses
    /// stackalloc (on-stack replacement), so a search loop with one was compiled once, fully optimised but without
    /// profile data, and measured up to 30 % slower than the same loop after tiering (managed float32, eval-index, ef 10).
    /// </summary>
    public void BatchBuffers(int size, out uint* ids, out float* similarities)
    {
        if (_batchIds.Length < size)
        {
            _batchIds = GC.AllocateArray<uint>(size, pinned: true);
            _batchSimilarities = GC.AllocateArray<float>(size, pinned: true);
        }

        ids = (uint*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_batchIds));
        similarities = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_batchSimilarities));
    }

    public void EnsureWork(int size)
    {
        if (Work.Length < size)
        {
            Work = new Candidate[size];
            Selected = new Candidate[size];
        }
    }

    /// <summary>Copies the query into aligned memory, zero-padded to <paramref name="stride"/> floats.</summary>
    public float* PrepareQuery(ReadOnlySpan<float> query, int stride)
    {
        if (_query.Length < stride + 16)
        {
            // Pinned so the aligned offset stays valid for the life of the thread.
            _query = GC.AllocateArray<float>(stride + 16, pinned: true);
            fixed (float* p = _query)
            {
                _queryOffset = (int)((64 - ((nuint)p & 63)) & 63) / sizeof(float);
            }
        }

        var target = _query.AsSpan(_queryOffset, stride);
        query.CopyTo(target);
        target[query.Length..].Clear();
        fixed (float* p = &target[0])
        {
            return p;
        }
    }
}
