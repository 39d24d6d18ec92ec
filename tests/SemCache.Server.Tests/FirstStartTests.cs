using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Grpc.Net.Client;
using SemCache.Client;

namespace SemCache.Server.Tests;

/// <summary>
/// The server program as a new user starts it: its own process, in an empty working directory, with
/// no keys and no <c>SEMCACHE_ADMIN_KEY</c>. It must create <c>./data</c> there (not next to the
/// program), log that folder as an absolute path and print a working admin key.
/// </summary>
public sealed partial class FirstStartTests
{
    // A hang detector, not a speed assertion: the server starts in a few seconds here.
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_first_start_in_an_empty_folder_creates_data_there_and_prints_an_admin_key_that_works()
    {
        var work = Directory.CreateTempSubdirectory("semcache-first-start-");
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = work.FullName,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "exec", ServerProgram(), "--grpc-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--http-port", "0" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("SEMCACHE_ADMIN_KEY");
        start.Environment["SemCache__RequestsBringVectors"] = "true";
        start.Environment["SemCache__Dimensions"] = "8";
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";

        var output = new StringBuilder();
        var keyPrinted = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        try
        {
            Assert.True(process.Start());
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var exited = process.WaitForExitAsync();
            var first = await Task.WhenAny(keyPrinted.Task, exited, Task.Delay(StartLimit));
            Assert.True(first == keyPrinted.Task, "no admin key was printed; the server said:\n" + Snapshot());
            var key = await keyPrinted.Task;

            // The key works against the server that printed it (retrying while gRPC starts listening).
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            using var client = new SemanticCacheClient(channel, key);
            CacheStats? stats = null;
            for (var attempt = 0; stats is null; attempt++)
            {
                try
                {
                    stats = await client.GetStatsAsync("default");
                }
                catch (global::Grpc.Core.RpcException e) when (e.StatusCode == global::Grpc.Core.StatusCode.Unavailable && attempt < 100)
                {
                    await Task.Delay(100);
                }
            }

            var data = Path.Combine(work.FullName, "data");
            Assert.Equal("default", stats.Tenant);
            Assert.True(File.Exists(Path.Combine(data, "keys.json")), "keys.json is not in <working directory>/data:\n" + Snapshot());
            Assert.Contains("Data directory: " + data, Snapshot(), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            work.Delete(recursive: true);
        }

        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (output)
            {
                output.AppendLine(line);
            }

            if (SecretPattern().Match(line) is { Success: true } match)
            {
                keyPrinted.TrySetResult(match.Value);
            }
        }

        string Snapshot()
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>The server as built next to this test (a referenced program brings its runtimeconfig), else in its own bin folder.</summary>
    private static string ServerProgram()
    {
        var here = Path.Combine(AppContext.BaseDirectory, "SemCache.Server.dll");
        if (File.Exists(Path.Combine(AppContext.BaseDirectory, "SemCache.Server.runtimeconfig.json")))
        {
            return here;
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SemCache.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return Path.Combine(directory.FullName, "src", "SemCache.Server", "bin", configuration, "net10.0", "SemCache.Server.dll");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // The printed secret: "sck_" and 43 base64url characters (32 random bytes).
    [GeneratedRegex("sck_[A-Za-z0-9_-]{43}")]
    private static partial Regex SecretPattern();
}
