using System.Diagnostics;
using System.Reflection;

namespace SemCache.Tests;

/// <summary>
/// Runs tests/SemCache.CrashHost in a child process, reads the acknowledgement lines it prints, and
/// kills it with SIGKILL once enough were read. Returns every line printed before the kill: each
/// one is a promise the store must keep.
/// </summary>
internal static class CrashHostRunner
{
    // A hang detector for the child process, not a speed assertion.
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(120);

    public static async Task<List<string>> RunAndKillAsync(IEnumerable<string> arguments, Func<List<string>, bool> enough)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(HostPath());
        foreach (var a in arguments) { start.ArgumentList.Add(a); }

        using var process = Process.Start(start)!;
        var errors = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        using var timeout = new CancellationTokenSource(HangLimit);
        try
        {
            while (!enough(lines))
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException("The crash host exited early: " + await errors);
                lines.Add(line);
            }
        }
        finally
        {
            // SIGKILL on Linux: no finalizers, no flush, no dispose.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        // Lines already written before the kill are acknowledged too; a torn last line is not.
        while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    private static string HostPath()
    {
        var path = typeof(CrashHostRunner).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "CrashHostPath").Value!;
        Assert.True(File.Exists(path), $"crash host not built at {path}");
        return path;
    }
}
