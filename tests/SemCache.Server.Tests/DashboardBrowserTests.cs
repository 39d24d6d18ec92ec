using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SemCache.Server.Tests;

/// <summary>
/// The dashboard in a real headless browser (Debian's chromium; .ci/run installs it with
/// install-test-tools.sh): after traffic, the page's script has fetched the JSON API and shows
/// non-zero hit rate and savings.
/// </summary>
public sealed class DashboardBrowserTests
{
    [Fact]
    public async Task After_traffic_the_dashboard_in_headless_chromium_shows_hit_rate_and_savings()
    {
        var chromium = FindChromium();
        Assert.True(chromium is not null, "chromium is not installed: run tests/SemCache.Server.Tests/install-test-tools.sh");
        await using var host = await ServerHost.StartAsync(kestrel: true);
        using var client = host.ClientFor(ServerHost.AdminKey);
        var scope = new CacheScope { Model = "gpt-test" };
        await client.StoreAsync(new CacheStoreRequest { Tenant = "default", Scope = scope, Prompt = "p", Response = "r", Usage = new CacheUsage(1000, 500, 0.25) });
        for (var i = 0; i < 3; i++)
        {
            await client.LookupAsync(new CacheLookupRequest { Tenant = "default", Scope = scope, Prompt = "p" });
        }

        await client.LookupAsync(new CacheLookupRequest { Tenant = "default", Scope = scope, Prompt = "other" });

        var dom = await DumpDomAsync(chromium!, host.HttpAddress!);

        Assert.Equal("75.0%", Text(dom, "hit-rate"));
        Assert.Equal("4.5k", Text(dom, "tokens-saved"));
        Assert.Equal("$0.7500", Text(dom, "cost-saved"));
        Assert.Contains("<svg", dom, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach the server", dom, StringComparison.Ordinal);
    }

    private static string? FindChromium() =>
        new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);

    private static async Task<string> DumpDomAsync(string chromium, Uri address)
    {
        var profile = Directory.CreateTempSubdirectory("semcache-chromium-");
        try
        {
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--user-data-dir=" + profile.FullName, "--virtual-time-budget=5000", "--dump-dom", address.ToString(),
            })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException("chromium did not finish within 90 s: " + await stderr);
            }

            var dom = await stdout;
            Assert.True(dom.Length > 0, "chromium printed no DOM: " + await stderr);
            return dom;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    private static string Text(string dom, string id)
    {
        var match = Regex.Match(dom, "id=\"" + Regex.Escape(id) + "\">([^<]*)<");
        Assert.True(match.Success, $"no element #{id} in the page");
        return match.Groups[1].Value;
    }
}
