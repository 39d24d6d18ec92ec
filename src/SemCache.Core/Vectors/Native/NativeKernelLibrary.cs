using System.Reflection;
using System.Runtime.InteropServices;

namespace SemCache.Vectors.Native;

/// <summary>
/// Finds, loads and checks <c>libsemcache_kernels</c> once per process. The library is used only when it loads, reports
/// the ABI version this code was written for, and <see cref="EnvironmentVariable"/> does not force the managed kernels.
/// </summary>
internal static class NativeKernelLibrary
{
    /// <summary>The ABI version of <c>semcache_kernels.h</c> these declarations match.</summary>
    public const int AbiVersion = 1;

    /// <summary><c>SEMCACHE_KERNELS=managed</c> forces the managed kernels (CI runs the kernel tests both ways).</summary>
    public const string EnvironmentVariable = "SEMCACHE_KERNELS";

    /// <summary>An explicit path of the library file, tried before the default locations.</summary>
    public const string PathEnvironmentVariable = "SEMCACHE_KERNELS_PATH";

    private static readonly Lazy<(nint Handle, string Status, string? Variants)> State = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>True when the native kernels can be called.</summary>
    public static bool IsLoaded => State.Value.Handle != 0;

    /// <summary>Why the library is or is not in use (the path it came from, or the reason it was not loaded).</summary>
    public static string Status => State.Value.Status;

    /// <summary>The variants the library's dispatcher chose, e.g. <c>float32=avx512f,int8=avx512vnni,...</c>; null when not loaded.</summary>
    public static string? Variants => State.Value.Variants;

    /// <summary>True when the environment forces the managed kernels.</summary>
    public static bool ForcedManaged =>
        string.Equals(Environment.GetEnvironmentVariable(EnvironmentVariable), "managed", StringComparison.OrdinalIgnoreCase);

    private static (nint, string, string?) Load()
    {
        if (ForcedManaged)
        {
            return (0, $"{EnvironmentVariable}=managed forces the managed kernels", null);
        }

        var assembly = typeof(NativeKernelLibrary).Assembly;
        var failures = new List<string>();
        foreach (var candidate in Candidates(assembly))
        {
            if (!(candidate == NativeMethods.LibraryName
                ? NativeLibrary.TryLoad(candidate, assembly, null, out var handle)
                : NativeLibrary.TryLoad(candidate, out handle)))
            {
                continue;
            }

            var checkedStatus = Check(handle, candidate);
            if (checkedStatus is not null)
            {
                failures.Add(checkedStatus);
                NativeLibrary.Free(handle);
                continue;
            }

            // Bind every LibraryImport of this assembly to the handle just checked. Only this class sets the resolver.
            NativeLibrary.SetDllImportResolver(assembly, (name, _, _) => name == NativeMethods.LibraryName ? handle : 0);
            var variants = Marshal.PtrToStringUTF8(NativeMethods.Variants()) ?? "";
            return (handle, $"loaded {candidate}", variants);
        }

        var reason = failures.Count > 0 ? string.Join("; ", failures) : "libsemcache_kernels was not found (not built: cmake or a C compiler was missing at build time)";
        return (0, reason, null);
    }

    /// <summary>Null when the library is usable, else why not.</summary>
    private static unsafe string? Check(nint handle, string path)
    {
        if (!NativeLibrary.TryGetExport(handle, "sck_abi_version", out var export))
        {
            return $"{path} has no sck_abi_version";
        }

        var version = ((delegate* unmanaged<int>)export)();
        return version == AbiVersion ? null : $"{path} implements ABI {version}, this engine needs {AbiVersion}";
    }

    private static IEnumerable<string> Candidates(Assembly assembly)
    {
        if (Environment.GetEnvironmentVariable(PathEnvironmentVariable) is { Length: > 0 } explicitPath)
        {
            yield return explicitPath;
        }

        var file = OperatingSystem.IsWindows() ? "semcache_kernels.dll" : OperatingSystem.IsMacOS() ? "libsemcache_kernels.dylib" : "libsemcache_kernels.so";
        var rid = (OperatingSystem.IsWindows() ? "win-" : OperatingSystem.IsMacOS() ? "osx-" : "linux-") + RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant();
        var directories = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(assembly.Location) }
            .Where(d => !string.IsNullOrEmpty(d))
            .Distinct(StringComparer.Ordinal);
        foreach (var directory in directories)
        {
            yield return Path.Combine(directory!, file);
            yield return Path.Combine(directory!, "runtimes", rid, "native", file);
        }

        // Last, the runtime's own probing (the .deps.json native assets of a NuGet package).
        yield return NativeMethods.LibraryName;
    }
}
