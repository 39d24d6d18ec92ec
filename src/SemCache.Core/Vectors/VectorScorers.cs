using SemCache.Vectors.Native;

namespace SemCache.Vectors;

/// <summary>Chooses the <see cref="IVectorScorer"/> once per process: native when the library loaded, else managed.</summary>
internal static class VectorScorers
{
    /// <summary>The scorer every index uses unless its options force the managed one.</summary>
    public static IVectorScorer Default => NativeKernelLibrary.IsLoaded ? NativeVectorScorer.Instance : ManagedVectorScorer.Instance;

    /// <summary>The scorer for an index: <paramref name="forceManaged"/> (option) or the environment switch picks managed.</summary>
    public static IVectorScorer For(bool forceManaged) => forceManaged ? ManagedVectorScorer.Instance : Default;

    /// <summary>One line for the open log and the CLI: which kernels serve, and why.</summary>
    public static string Describe() =>
        NativeKernelLibrary.IsLoaded
            ? $"native kernels serve ({NativeKernelLibrary.Variants}; {NativeKernelLibrary.Status})"
            : $"managed kernels serve ({ManagedVectorScorer.Instance.Variants}); native kernels not used: {NativeKernelLibrary.Status}";
}
