using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace SemCache.Vectors;

/// <summary>A node id with its similarity to the current query.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Candidate(float similarity, uint id)
{
    public float Similarity = similarity;
    public uint Id = id;
}

/// <summary>Orders candidates best (highest similarity) first, for sorting selection inputs.</summary>
internal readonly struct BestFirst : IComparer<Candidate>
{
    /// <summary>Above this many candidates <see cref="Sort"/> hands over to the library's introsort.</summary>
    private const int InsertionSortLimit = 48;

    public int Compare(Candidate x, Candidate y) => y.Similarity.CompareTo(x.Similarity);

    /// <summary>
    /// Sorts best first. A link re-selection sorts at most 2M + 1 candidates (33 at the default M), where an
    /// insertion sort compiled with the loops that call it beats the library sort, which reaches the comparer
    /// through an interface and a delegate and, first called when a partition starts linking, runs unoptimised
    /// code for its first hundreds of stores (tiered compilation).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sort(Span<Candidate> candidates)
    {
        if (candidates.Length > InsertionSortLimit)
        {
            candidates.Sort(default(BestFirst));
            return;
        }

        for (var i = 1; i < candidates.Length; i++)
        {
            var item = candidates[i];
            var j = i - 1;

            // Strictly lower moves up: equal similarities keep their order, as a stable sort would.
            while (j >= 0 && candidates[j].Similarity < item.Similarity)
            {
                candidates[j + 1] = candidates[j];
                j--;
            }

            candidates[j + 1] = item;
        }
    }
}

/// <summary>Which of two similarities belongs nearer the top of a <see cref="CandidateHeap{TOrder}"/>.</summary>
internal interface IHeapOrder
{
    static abstract bool Above(float x, float y);
}

/// <summary>Best (highest similarity) on top.</summary>
internal readonly struct HigherOnTop : IHeapOrder
{
    public static bool Above(float x, float y) => x > y;
}

/// <summary>Worst (lowest similarity) on top.</summary>
internal readonly struct LowerOnTop : IHeapOrder
{
    public static bool Above(float x, float y) => x < y;
}

/// <summary>
/// Binary heap of candidates ordered by <typeparamref name="TOrder"/>. The order is a struct type
/// argument, so the JIT compiles each heap with its comparison inlined. Reused, never shrunk.
/// </summary>
internal class CandidateHeap<TOrder>
    where TOrder : struct, IHeapOrder
{
    private Candidate[] _items = new Candidate[256];

    public int Count { get; private set; }

    public ref readonly Candidate Top => ref _items[0];

    public void Clear() => Count = 0;

    // Fully optimised at first call, not tier 0 then tier 1: a partition that crosses into HNSW starts calling the
    // link and search loops only then, and at tier 0 they made the next ~1,000 stores 2-3x slower (the probe's
    // crossing tail: p99/median 3.1-3.5x before, 2.6-3.4x after); search speed unchanged (benchmarks/README.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Push(float similarity, uint id)
    {
        if (Count == _items.Length)
        {
            Array.Resize(ref _items, Count * 2);
        }

        ref var items = ref MemoryMarshal.GetArrayDataReference(_items);
        var i = Count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            var p = Unsafe.Add(ref items, parent);
            if (!TOrder.Above(similarity, p.Similarity))
            {
                break;
            }

            Unsafe.Add(ref items, i) = p;
            i = parent;
        }

        Unsafe.Add(ref items, i) = new Candidate(similarity, id);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Candidate Pop()
    {
        ref var items = ref MemoryMarshal.GetArrayDataReference(_items);
        var top = items;
        var last = Unsafe.Add(ref items, --Count);
        var n = Count;
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= n)
            {
                break;
            }

            if (child + 1 < n && TOrder.Above(Unsafe.Add(ref items, child + 1).Similarity, Unsafe.Add(ref items, child).Similarity))
            {
                child++;
            }

            var c = Unsafe.Add(ref items, child);
            if (!TOrder.Above(c.Similarity, last.Similarity))
            {
                break;
            }

            Unsafe.Add(ref items, i) = c;
            i = child;
        }

        if (n > 0)
        {
            Unsafe.Add(ref items, i) = last;
        }

        return top;
    }
}

/// <summary>Max-heap (best on top): the frontier still to expand.</summary>
internal sealed class MaxHeap : CandidateHeap<HigherOnTop>;

/// <summary>Min-heap (worst on top): the bounded result set of a layer search.</summary>
internal sealed class MinHeap : CandidateHeap<LowerOnTop>;
