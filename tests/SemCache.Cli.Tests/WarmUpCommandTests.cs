namespace SemCache.Cli.Tests;

public sealed class WarmUpCommandTests
{
    private static readonly string[] Lines =
    [
        """{"prompt":"How do I reset my password?","response":"Use the reset link on the login page.","model":"m"}""",
        """{"prompt":"What are your opening hours?","response":"Nine to five, Monday to Friday.","model":"m"}""",
        """{"prompt":"Where can I download my invoice?","response":"Under Billing, then Invoices.","model":"m"}""",
        """{"prompt":"How do I cancel my subscription?","response":"Settings, Plan, Cancel.","model":"m"}""",
        """{"prompt":"Which payment methods do you accept?","response":"Cards and bank transfer.","model":"m"}""",
        """not json""",
    ];

    private static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "semcache-cli-data-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Import_embeds_in_batches_reports_progress_on_stderr_and_counts_the_bad_line()
    {
        var file = CliRunner.WriteLines(Lines);
        var data = NewDataDirectory();
        try
        {
            var result = await CliRunner.RunAsync("import", file, "--data", data, "--batch", "2");

            Assert.Equal(1, result.ExitCode);
            var json = result.Json();
            Assert.Equal(5, json.GetProperty("imported").GetInt64());
            Assert.Equal(1, json.GetProperty("failed").GetInt64());
            Assert.Equal(5, json.GetProperty("embedded").GetInt64());
            Assert.Contains("import: line 6:", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("embedded in batches of 2", result.Stderr, StringComparison.Ordinal);

            var lookup = await CliRunner.RunAsync("lookup", "--prompt", "how can I reset my password", "--model", "m", "--data", data);
            Assert.Equal("semantic", lookup.Json().GetProperty("hit").GetString());
        }
        finally
        {
            File.Delete(file);
            if (Directory.Exists(data)) { Directory.Delete(data, recursive: true); }
        }
    }

    [Fact]
    public async Task Reembed_builds_a_new_generation_swaps_it_in_and_keeps_the_old_one_beside()
    {
        var file = CliRunner.WriteLines(Lines[..5]);
        var data = NewDataDirectory();
        try
        {
            Assert.Equal(0, (await CliRunner.RunAsync("import", file, "--data", data)).ExitCode);

            var result = await CliRunner.RunAsync("reembed", "--data", data, "--provider", "cpu", "--batch", "3");

            Assert.Equal(0, result.ExitCode);
            var json = result.Json();
            Assert.Equal(5, json.GetProperty("entries").GetInt64());
            Assert.Equal(5, json.GetProperty("embedded").GetInt64());
            Assert.Equal(384, json.GetProperty("dimensions").GetInt32());
            Assert.Equal(data + ".previous", json.GetProperty("previous").GetString());
            Assert.True(Directory.Exists(data + ".previous"));
            Assert.False(Directory.Exists(data + ".next"));
            Assert.Contains("reembed: 5 entries, 5 embedded in batches of 3", result.Stderr, StringComparison.Ordinal);

            // The new generation serves exact and semantic hits with the same entries.
            var exact = await CliRunner.RunAsync("lookup", "--prompt", "What are your opening hours?", "--model", "m", "--data", data);
            Assert.Equal("exact", exact.Json().GetProperty("hit").GetString());
            var semantic = await CliRunner.RunAsync("lookup", "--prompt", "where do I download my invoice", "--model", "m", "--data", data);
            Assert.Equal("semantic", semantic.Json().GetProperty("hit").GetString());
            Assert.Equal("Under Billing, then Invoices.", semantic.Json().GetProperty("response").GetString());
        }
        finally
        {
            File.Delete(file);
            foreach (var dir in new[] { data, data + ".previous", data + ".next" })
            {
                if (Directory.Exists(dir)) { Directory.Delete(dir, recursive: true); }
            }
        }
    }

    [Fact]
    public async Task Reembed_of_a_missing_directory_or_a_bad_batch_exits_2_naming_it()
    {
        var missing = NewDataDirectory();

        var result = await CliRunner.RunAsync("reembed", "--data", missing);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(missing, result.Stderr, StringComparison.Ordinal);

        var bad = await CliRunner.RunAsync("reembed", "--data", missing, "--batch", "0");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--batch", bad.Stderr, StringComparison.Ordinal);
    }
}
