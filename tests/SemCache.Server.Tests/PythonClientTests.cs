using System.Diagnostics;

namespace SemCache.Server.Tests;

/// <summary>
/// A client written without the .NET client: Python grpcio over stubs generated from the .proto
/// files with Debian's protoc (install-test-tools.sh installs them), against the real server.
/// </summary>
public sealed class PythonClientTests
{
    [Fact]
    public async Task A_Python_grpcio_client_stores_and_looks_up_an_entry()
    {
        Assert.True(File.Exists("/usr/bin/protoc") && File.Exists("/usr/bin/grpc_python_plugin"), "protoc or grpc_python_plugin missing: run tests/SemCache.Server.Tests/install-test-tools.sh");
        var example = Path.Combine(RepositoryRoot(), "src", "SemCache.Client", "examples", "python");
        var stubs = Directory.CreateTempSubdirectory("semcache-py-");
        try
        {
            var generated = await RunAsync("/bin/bash", [Path.Combine(example, "gen_stubs.sh"), stubs.FullName], null);
            Assert.True(generated.ExitCode == 0, "gen_stubs.sh failed: " + generated.Output);
            await using var host = await ServerHost.StartAsync(kestrel: true);
            var port = host.Channel.Target.Split(':')[^1];

            var run = await RunAsync(
                "/usr/bin/python3",
                [Path.Combine(example, "semcache_example.py"), "--server", "127.0.0.1:" + port, "--key", ServerHost.AdminKey],
                stubs.FullName);

            Assert.True(run.ExitCode == 0, "the Python example failed: " + run.Output);
            Assert.Contains("\"hit\": \"exact\"", run.Output, StringComparison.Ordinal);
            Assert.Contains("\"response\": \"Paris.\"", run.Output, StringComparison.Ordinal);
            Assert.Contains("\"badKey\": \"UNAUTHENTICATED\"", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            stubs.Delete(recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SemCache.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("SemCache.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string? pythonPath)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (pythonPath is not null)
        {
            start.Environment["PYTHONPATH"] = pythonPath;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}
