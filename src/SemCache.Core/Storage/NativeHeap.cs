using System.Runtime.InteropServices;

namespace SemCache.Storage;

/// <summary>
/// Gives freed native memory back to the operating system. glibc's allocator keeps what the process freed
/// inside its arenas (the store's native log chunks, vector arenas of dropped or rebuilt partitions) and
/// returns only the top of each heap by itself, so after a compaction or a wave of evictions the process
/// would keep its peak resident size. <c>malloc_trim</c> releases the free pages inside the arenas too.
/// A no-op where the C library has no such call (Windows, macOS, musl).
/// </summary>
internal static partial class NativeHeap
{
    private static int _unsupported = OperatingSystem.IsLinux() ? 0 : 1;

    /// <summary>Calls malloc_trim(0) where it exists; true when it released memory.</summary>
    public static bool Trim()
    {
        if (Volatile.Read(ref _unsupported) != 0)
            return false;
        try
        {
            return MallocTrim(0) != 0;
        }
        catch (EntryPointNotFoundException)
        {
            Volatile.Write(ref _unsupported, 1);
            return false;
        }
        catch (DllNotFoundException)
        {
            Volatile.Write(ref _unsupported, 1);
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "malloc_trim")]
    private static partial int MallocTrim(nuint pad);
}
