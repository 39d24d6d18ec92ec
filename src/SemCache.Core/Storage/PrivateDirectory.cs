using System.Runtime.InteropServices;

namespace SemCache.Storage;

/// <summary>
/// Folders and files that hold every tenant's prompts, answers and key hashes: created readable by
/// the owner only (0700 folders, 0600 files) on Unix, whatever the process's umask.
/// </summary>
internal static partial class PrivateDirectory
{
    private const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Owner read and write only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="path"/> (and missing parents) 0700; an existing folder keeps its mode.</summary>
    public static DirectoryInfo Create(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return OperatingSystem.IsWindows() ? Directory.CreateDirectory(path) : Directory.CreateDirectory(path, FolderMode);
    }

    /// <summary>
    /// Sets the process's umask to 077, so that files a library creates with its own default mode
    /// (FASTER's log segments and checkpoints: 0644) come out 0600. Process-wide, so only the server
    /// program calls it, never the embeddable library. A no-op on Windows.
    /// </summary>
    public static void RestrictNewFiles()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = Umask(0b000_111_111);
        }
    }

    [LibraryImport("libc", EntryPoint = "umask")]
    private static partial uint Umask(uint mask);

    /// <summary>Makes every file under <paramref name="root"/> 0600 and every folder 0700 (files a library created with its own mode).</summary>
    public static void Restrict(string root)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(root))
        {
            return;
        }

        File.SetUnixFileMode(root, FolderMode);
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            if (entry.LinkTarget is not null)
            {
                continue;
            }

            entry.UnixFileMode = entry is DirectoryInfo ? FolderMode : FileMode;
        }
    }
}
