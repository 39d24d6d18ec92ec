namespace SemCache.Cli.Tests;

/// <summary>
/// The evaluation commands end to end, through the real CLI with the default MiniLM embedder:
/// the JSON they print, the configuration file calibrate writes, and the errors bad input gets.
/// </summary>
public sealed class EvaluationCommandTests
{
    private static readonly string[] Pairs =
    [
        """{"a": "How do I reset my password?", "b": "How can I reset my password?", "duplicate": true}""",
        """{"a": "What is the capital of France?", "b": "Which city is the capital of France?", "duplicate": true}""",
        """{"a": "Flights from New York to Florida", "b": "Flights from Florida to New York", "duplicate": false}""",
        """{"a": "Book a table for 4 people", "b": "Book a table for 6 people", "duplicate": false}""",
    ];

    [Fact]
    public async Task Eval_pairs_prints_one_json_line_with_every_field_and_refuses_the_negatives()
    {
        var file = CliRunner.WriteLines(Pairs);
        try
        {
            var result = await CliRunner.RunAsync("eval-pairs", "--pairs", file, "--provider", "cpu");

            Assert.True(result.ExitCode == 0, result.Stderr);
            var json = result.Json();
            Assert.Equal(4, json.GetProperty("pairs").GetInt32());
            Assert.Equal(2, json.GetProperty("duplicates").GetInt32());

            // The swap and the changed number embed close to their pair; the verifier must refuse both.
            Assert.Equal(0, json.GetProperty("false_hits").GetInt32());
            Assert.Equal(0, json.GetProperty("false_hit_rate").GetDouble());
            foreach (var field in new[] { "true_hits", "precision", "recall", "wrong_entry_hits", "veto_counts", "p50_lookup_ms" })
            {
                Assert.True(json.TryGetProperty(field, out _), $"missing {field}");
            }

            // The swap passes the threshold (MiniLM barely sees word order); the order rule refuses it.
            Assert.True(json.GetProperty("veto_counts").GetProperty("order").GetInt32() >= 1);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Eval_pairs_limit_uses_only_the_first_lines_and_pooled_mode_reports_wrong_entry_hits()
    {
        var file = CliRunner.WriteLines(Pairs);
        try
        {
            var result = await CliRunner.RunAsync("eval-pairs", "--pairs", file, "--limit", "2", "--mode", "pooled", "--provider", "cpu");

            Assert.True(result.ExitCode == 0, result.Stderr);
            var json = result.Json();
            Assert.Equal(2, json.GetProperty("pairs").GetInt32());
            Assert.Equal(0, json.GetProperty("wrong_entry_hits").GetInt32());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Calibrate_writes_a_configuration_that_eval_pairs_reads()
    {
        var pairsFile = CliRunner.WriteLines(Pairs);
        var config = Path.ChangeExtension(pairsFile, ".calibration.json");
        try
        {
            var calibrated = await CliRunner.RunAsync("calibrate", "--pairs", pairsFile, "--target-precision", "0.5", "--output", config, "--provider", "cpu");

            Assert.True(calibrated.ExitCode == 0, calibrated.Stderr);
            Assert.True(calibrated.Json().GetProperty("reached").GetBoolean());
            Assert.True(File.Exists(config));

            var evaluated = await CliRunner.RunAsync("eval-pairs", "--pairs", pairsFile, "--config", config, "--provider", "cpu");
            Assert.True(evaluated.ExitCode == 0, evaluated.Stderr);
            Assert.Equal(4, evaluated.Json().GetProperty("pairs").GetInt32());
        }
        finally
        {
            File.Delete(pairsFile);
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Pooled_calibration_also_chooses_the_ambiguity_margin_and_writes_it()
    {
        var pairsFile = CliRunner.WriteLines(Pairs[0], Pairs[1]);
        var config = Path.ChangeExtension(pairsFile, ".calibration.json");
        try
        {
            var calibrated = await CliRunner.RunAsync("calibrate", "--pairs", pairsFile, "--mode", "pooled", "--target-precision", "0.9", "--output", config, "--provider", "cpu");

            Assert.True(calibrated.ExitCode == 0, calibrated.Stderr);
            var json = calibrated.Json();
            Assert.True(json.GetProperty("reached").GetBoolean());
            Assert.True(json.TryGetProperty("ambiguity_margin", out _));
            Assert.Equal(0, json.GetProperty("wrong_entry_hits").GetInt32());
            Assert.Contains("\"AmbiguityMargin\"", await File.ReadAllTextAsync(config), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(pairsFile);
            File.Delete(config);
        }
    }

    [Fact]
    public async Task Eval_traffic_replays_prompts_and_counts_hits_within_their_cluster()
    {
        var file = CliRunner.WriteLines(
            """{"prompt": "How do I reset my password?", "cluster": "password"}""",
            """{"prompt": "How do I reset my password?", "cluster": "password"}""",
            """{"prompt": "What are your opening hours on Sunday?", "cluster": "hours"}""",
            """{"prompt": "What are your opening hours on Sunday?", "cluster": "hours"}""");
        try
        {
            var result = await CliRunner.RunAsync("eval-traffic", "--prompts", file, "--provider", "cpu");

            Assert.True(result.ExitCode == 0, result.Stderr);
            var json = result.Json();
            Assert.Equal(4, json.GetProperty("prompts").GetInt32());

            // Each prompt repeats once: the second is an exact hit on its own cluster, whatever the order.
            Assert.Equal(2, json.GetProperty("hits").GetInt32());
            Assert.Equal(0.5, json.GetProperty("hit_rate").GetDouble());
            Assert.Equal(1.0, json.GetProperty("hit_precision").GetDouble());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_malformed_pairs_line_is_one_error_line_naming_the_file_and_line_with_exit_code_2()
    {
        var file = CliRunner.WriteLines(Pairs[0], "{\"a\": \"only a\"", Pairs[1]);
        try
        {
            var result = await CliRunner.RunAsync("eval-pairs", "--pairs", file, "--provider", "cpu");

            Assert.Equal(2, result.ExitCode);
            Assert.Empty(result.Stdout.Trim());
            var error = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(Path.GetFileName(file), error, StringComparison.Ordinal);
            Assert.Contains("2", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("eval-pairs", "--mode", "sideways")]
    [InlineData("calibrate", "--target-precision", "1.5")]
    [InlineData("eval-pairs", "--pooling", "sideways")]
    public async Task Out_of_range_options_are_refused_with_exit_code_2_and_a_message_naming_them(string command, string option, string value)
    {
        var file = CliRunner.WriteLines(Pairs);
        try
        {
            var result = await CliRunner.RunAsync(command, "--pairs", file, option, value, "--provider", "cpu");

            Assert.Equal(2, result.ExitCode);
            Assert.Contains(option, result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Calibrate_refuses_an_unknown_mode_with_exit_code_2()
    {
        var file = CliRunner.WriteLines(Pairs);
        try
        {
            var result = await CliRunner.RunAsync("calibrate", "--pairs", file, "--target-precision", "0.9", "--mode", "sideways", "--provider", "cpu");

            Assert.Equal(2, result.ExitCode);
            Assert.Contains("--mode", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_missing_cross_encoder_folder_is_named_in_a_one_line_error()
    {
        var file = CliRunner.WriteLines(Pairs);
        var missing = Path.Combine(Path.GetTempPath(), "semcache-no-cross-encoder-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = await CliRunner.RunAsync("eval-pairs", "--pairs", file, "--cross-encoder", missing, "--provider", "cpu");

            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains(missing, result.Stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
