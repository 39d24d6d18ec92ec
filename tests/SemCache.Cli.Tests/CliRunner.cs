using System.Diagnostics;
using System.Text.Json;

namespace SemCache.Cli.Tests;

/// <summary>The result of one <c>semcache</c> run.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The one JSON line the evaluation commands print on stdout.</summary>
    public JsonElement Json()
    {
        var line = Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Single();
        using var document = JsonDocument.Parse(line);
        return document.RootElement.Clone();
    }
}

/// <summary>Runs the built <c>semcache</c> (same configuration as the tests) as a child process.</summary>
internal static class CliRunner
{
    private static readonly string Program = LocateCli();

    public static async Task<CliResult> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Program);
        foreach (var arg in args) { start.ArgumentList.Add(arg); }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();

        // Generous: loading the model on a busy 2-core CI machine takes seconds, and a hung CLI must still end the test.
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"semcache {string.Join(' ', args)} did not finish within 3 minutes");
        }

        return new CliResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A temporary file with the given lines, deleted by the caller.</summary>
    public static string WriteLines(params string[] lines)
    {
        var path = Path.Combine(Path.GetTempPath(), "semcache-cli-" + Guid.NewGuid().ToString("N") + ".jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static string LocateCli()
    {
        // tests/SemCache.Cli.Tests/bin/<Configuration>/<tfm>/ -> src/SemCache.Cli/bin/<Configuration>/<tfm>/semcache.dll
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var root = testOutput.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var cli = Path.Combine(root, "src", "SemCache.Cli", "bin", configuration, tfm, "semcache.dll");
        return File.Exists(cli) ? cli : throw new FileNotFoundException($"the CLI tests need the built CLI at {cli}", cli);
    }
}
