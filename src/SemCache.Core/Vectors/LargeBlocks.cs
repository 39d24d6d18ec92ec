using System.Runtime.InteropServices;

namespace SemCache.Vectors;

/// <summary>
/// Allocation of the index's large native blocks (vectors, level-0 links, quantised codes), backed by transparent huge
/// pages where Linux offers them.
/// </summary>
/// <remarks>
/// Why: a graph search reads rows scattered over the whole block, one or a few cache lines each. With 4 KiB pages
/// every such read also misses the TLB once the block outgrows the TLB's reach (3,072 second-level entries cover
/// 12 MiB; 100k int8 codes at 384 d are 38 MiB), and the page walk adds to the memory latency the search is bound by.
/// Blocks of at least <see cref="HugePageThreshold"/> are aligned to 2 MiB and advised <c>MADV_HUGEPAGE</c>, which
/// works in the common <c>transparent_hugepage=madvise</c> setting; elsewhere (other systems, THP off) the advice is
/// refused or ignored and the block is an ordinary one. Freed with <see cref="Free"/>.
/// </remarks>
internal static unsafe partial class LargeBlocks
{
    /// <summary>Blocks from this size are huge-page backed: smaller ones would waste most of a 2 MiB page.</summary>
    internal const nuint HugePageThreshold = 4 * HugePage;

    private const nuint HugePage = 2 * 1024 * 1024;
    private const int MadviseHugePage = 14; // MADV_HUGEPAGE in <linux/mman.h>

    private static int s_adviceRefused;

    /// <summary>True once the kernel refused the huge-page advice (THP compiled out or disabled): later blocks skip it.</summary>
    internal static bool AdviceRefused => Volatile.Read(ref s_adviceRefused) != 0;

    /// <summary>A 64-byte-aligned block of <paramref name="bytes"/>, not cleared (the caller clears what it needs).</summary>
    public static void* Allocate(nuint bytes)
    {
        if (bytes < HugePageThreshold || !OperatingSystem.IsLinux() || AdviceRefused)
        {
            return NativeMemory.AlignedAlloc(bytes, 64);
        }

        var block = NativeMemory.AlignedAlloc(bytes, HugePage);

        // Advised before the caller first touches it, so the page faults that clear or copy into it already take huge
        // pages. Only whole 4 KiB pages inside the block are named (the block starts on a 2 MiB boundary).
        if (Madvise(block, bytes & ~(nuint)4095, MadviseHugePage) != 0)
        {
            Volatile.Write(ref s_adviceRefused, 1);
        }

        return block;
    }

    /// <summary>Frees a block from <see cref="Allocate"/>.</summary>
    public static void Free(void* block) => NativeMemory.AlignedFree(block);

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
