namespace SemCache.Cli.Tests;

/// <summary><c>semcache eval-traffic</c> with error budgets, through the real CLI and the default MiniLM embedder (small inputs).</summary>
public sealed class EvalTrafficBudgetTests
{
    private static readonly string[] Pairs =
    [
        """{"a": "How do I reset my password?", "b": "How can I reset my password?", "duplicate": true}""",
        """{"a": "What is the capital of France?", "b": "Which city is the capital of France?", "duplicate": true}""",
        """{"a": "Flights from New York to Florida", "b": "Flights from Florida to New York", "duplicate": false}""",
        """{"a": "Book a table for 4 people", "b": "Book a table for 6 people", "duplicate": false}""",
    ];

    [Fact]
    public async Task Pairs_become_clusters_and_each_budget_reports_its_curve_beside_the_static_baselines()
    {
        var file = CliRunner.WriteLines(Pairs);
        var png = Path.Combine(Path.GetTempPath(), "semcache-curve-" + Guid.NewGuid().ToString("N") + ".png");
        try
        {
            var result = await CliRunner.RunAsync(
                "eval-traffic", "--pairs", file, "--error-budget", "0.05", "--error-budget", "0.2", "--thresholds", "0.85,0.95", "--window", "3", "--plot", png, "--provider", "cpu");

            Assert.True(result.ExitCode == 0, result.Stderr);
            var json = result.Json();

            // 8 texts: the two duplicate pairs are one cluster each, the negatives' texts are four more.
            Assert.Equal(8, json.GetProperty("prompts").GetInt32());
            Assert.Equal(6, json.GetProperty("clusters").GetInt32());
            var names = json.GetProperty("baselines").EnumerateArray().Select(static b => b.GetProperty("name").GetString()).ToList();
            Assert.Equal(["cosine:0.85", "cosine:0.95", "rules:0.85", "rules:0.95", "defaults"], names);
            var budgets = json.GetProperty("budgets").EnumerateArray().ToList();
            Assert.Equal([0.05, 0.2], budgets.Select(static b => b.GetProperty("max_error_rate").GetDouble()));
            foreach (var budget in budgets)
            {
                foreach (var field in new[] { "hits", "hit_rate", "error_rate", "explorations", "exploration_rate", "labels", "error_rate_after_warmup", "best_cosine_at_same_error", "best_rules_at_same_error", "dominated_by" })
                {
                    Assert.True(budget.TryGetProperty(field, out _), $"missing {field}");
                }

                // Windows of 3 prompts over 8: 3, 3, 2.
                Assert.Equal([3, 6, 8], budget.GetProperty("curve").EnumerateArray().Select(static w => w.GetProperty("prompts").GetInt32()));

            }

            // An untrained model's estimate of P(wrong) is above 5 % for every candidate here, so δ = 0.05
            // serves nothing. (δ = 0.2 may serve one: beyond the exploration rate, an uncertain candidate
            // whose estimate is within the budget is served on the estimate.)
            Assert.Equal(0, budgets[0].GetProperty("hits").GetInt32());

            var bytes = await File.ReadAllBytesAsync(png);
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
        }
        finally
        {
            File.Delete(file);
            File.Delete(png);
        }
    }

    [Theory]
    [InlineData("--error-budget", "0")]
    [InlineData("--error-budget", "1.5")]
    [InlineData("--thresholds", "0.9,abc")]
    public async Task A_bad_budget_or_threshold_list_is_one_error_line_and_exit_code_2(string option, string value)
    {
        var file = CliRunner.WriteLines(Pairs);
        try
        {
            var result = await CliRunner.RunAsync("eval-traffic", "--pairs", file, option, value, "--provider", "cpu");
            Assert.Equal(2, result.ExitCode);
            Assert.Empty(result.Stdout.Trim());
            Assert.Contains("eval-traffic:", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Prompts_and_pairs_together_are_refused()
    {
        var file = CliRunner.WriteLines(Pairs);
        try
        {
            var result = await CliRunner.RunAsync("eval-traffic", "--pairs", file, "--prompts", file, "--provider", "cpu");
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("exactly one of --prompts and --pairs", result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task With_a_cross_encoder_the_budget_replays_score_their_judged_candidates()
    {
        // A tiny ONNX cross-encoder (its logit is linear in the candidate's length; see
        // CrossEncoderTestModels): no real model is available offline, and this proves the wiring,
        // not the model. δ = 0.3 so that candidates are judged (and scored) at all.
        var file = CliRunner.WriteLines(Pairs);
        var model = Embeddings.Onnx.Tests.CrossEncoderTestModels.WriteFolder(Embeddings.Onnx.Tests.SummedInput.SecondSegment);
        try
        {
            var with = await CliRunner.RunAsync("eval-traffic", "--pairs", file, "--error-budget", "0.3", "--thresholds", "0.9", "--cross-encoder", model, "--provider", "cpu");
            var without = await CliRunner.RunAsync("eval-traffic", "--pairs", file, "--error-budget", "0.3", "--thresholds", "0.9", "--provider", "cpu");

            Assert.True(with.ExitCode == 0, with.Stderr);
            Assert.True(without.ExitCode == 0, without.Stderr);
            var scored = with.Json().GetProperty("budgets")[0];
            var plain = without.Json().GetProperty("budgets")[0];
            Assert.True(scored.GetProperty("cross_encoder").GetBoolean());
            Assert.False(plain.GetProperty("cross_encoder").GetBoolean());
            Assert.InRange(scored.GetProperty("rescored").GetInt32(), 1, 8);
            Assert.Equal(0, plain.GetProperty("rescored").GetInt32());
        }
        finally
        {
            File.Delete(file);
            Embeddings.Onnx.Tests.CrossEncoderTestModels.Delete(model);
        }
    }

    [Fact]
    public async Task Stats_prints_the_error_budgets_explorations_and_labels()
    {
        var data = Path.Combine(Path.GetTempPath(), "semcache-stats-" + Guid.NewGuid().ToString("N"));
        try
        {
            var result = await CliRunner.RunAsync("stats", "--data", data);

            Assert.True(result.ExitCode == 0, result.Stderr);
            var json = result.Json();
            Assert.Equal(0, json.GetProperty("explorations").GetInt64());
            Assert.Equal(0, json.GetProperty("budgetLabels").GetInt64());
        }
        finally
        {
            if (Directory.Exists(data)) { Directory.Delete(data, recursive: true); }
        }
    }
}
