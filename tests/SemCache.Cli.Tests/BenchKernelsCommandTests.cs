namespace SemCache.Cli.Tests;

/// <summary><c>semcache bench-kernels</c> through the real CLI, on a small workload so it takes a second.</summary>
public sealed class BenchKernelsCommandTests
{
    [Fact]
    public async Task Bench_kernels_prints_one_json_line_with_the_issue_fields_and_names_the_kernels_that_ran()
    {
        var result = await CliRunner.RunAsync("bench-kernels", "--count", "2000", "--dims", "384", "--rounds", "1", "--passes", "1");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var json = result.Json();
        Assert.True(json.GetProperty("managed_float32_per_second").GetDouble() > 0);
        Assert.True(json.GetProperty("managed_int8_per_second").GetDouble() > 0);
        var kernels = json.GetProperty("kernels").GetString()!;
        var native = File.Exists(Path.Combine(AppContext.BaseDirectory, "libsemcache_kernels.so"))
            && Environment.GetEnvironmentVariable("SEMCACHE_KERNELS") != "managed";
        foreach (var field in new[] { "native_float32_per_second", "native_int8_per_second", "native_binary_per_second" })
        {
            // Without the library the native fields are null, never a made-up rate.
            Assert.Equal(native, json.GetProperty(field).ValueKind == System.Text.Json.JsonValueKind.Number);
        }

        Assert.StartsWith(native ? "native(" : "managed(", kernels, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bench_kernels_refuses_a_non_positive_count_with_a_message()
    {
        var result = await CliRunner.RunAsync("bench-kernels", "--count", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--count", result.Stderr, StringComparison.Ordinal);
    }
}
