using SemCache.Vectors.Native;

namespace SemCache.Tests.Vectors;

/// <summary>
/// A fact that needs libsemcache_kernels: reported as skipped, with the reason, where the library was not built
/// (no cmake or compiler) or <c>SEMCACHE_KERNELS=managed</c> forces the managed kernels. Never passes silently.
/// </summary>
public sealed class NativeKernelsFactAttribute : FactAttribute
{
    public NativeKernelsFactAttribute()
    {
        if (!NativeKernelLibrary.IsLoaded)
        {
            Skip = "native kernels not loaded: " + NativeKernelLibrary.Status;
        }
    }
}

/// <summary>The <see cref="TheoryAttribute"/> form of <see cref="NativeKernelsFactAttribute"/>.</summary>
public sealed class NativeKernelsTheoryAttribute : TheoryAttribute
{
    public NativeKernelsTheoryAttribute()
    {
        if (!NativeKernelLibrary.IsLoaded)
        {
            Skip = "native kernels not loaded: " + NativeKernelLibrary.Status;
        }
    }
}
