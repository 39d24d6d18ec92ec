using System.IO.Hashing;
using System.Text;

namespace SemCache.Tests.Budget;

/// <summary>
/// The re-scorer's score as a feature of the error budget: on the sweep's synthetic stream (fixed
/// seeds), where similarity alone cannot tell a prompt from its confusable twin, a re-scorer that
/// reads the pair and separates same-intent from other-intent prompts lets the budget serve where
/// it could not before, within δ.
/// </summary>
public sealed class ErrorBudgetRescorerTests
{
    /// <summary>
    /// A stand-in for a cross-encoder (none is available offline): knows each prompt's intent and
    /// scores a same-intent pair from 0.80 to 0.98 and another pair from 0.02 to 0.20, deterministic
    /// per pair (a hash, not a random draw), so the score is strong evidence but not a constant.
    /// </summary>
    private sealed class IntentRescorer(IReadOnlyDictionary<string, int> clusterOf) : ICandidateRescorer
    {
        public int Calls;

        public ValueTask<float[]> ScoreAsync(string query, IReadOnlyList<string> candidates, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            var scores = new float[candidates.Count];
            for (var i = 0; i < scores.Length; i++)
            {
                var jitter = (XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(query + "\n" + candidates[i])) % 1000) / 1000f * 0.18f;
                scores[i] = clusterOf[query] == clusterOf[candidates[i]] ? 0.80f + jitter : 0.02f + jitter;
            }

            return ValueTask.FromResult(scores);
        }
    }

    [Fact]
    public async Task A_score_that_separates_right_from_wrong_answers_lets_the_budget_serve_far_more_hits_within_delta()
    {
        // The sweep's three streams (fixed seeds), pooled: 2,700 prompts. Without a re-scorer the
        // twins at cosine ~0.95 keep the bound above 5 % for most candidates; with the score as a
        // feature the model learns its weight from the same labels and serves. Measured: without
        // 90 hits, 0 wrong; with 1,460 hits, 0 wrong, with 1,650 re-scorer calls. Bars: at least
        // three times the hits of the replay without (measured: 16 times; three leaves room for a
        // changed prior or seed and is still "materially more") and error within δ.
        const double Delta = 0.05;
        var streams = new[] { ErrorBudgetSweepTests.Stream(20261201), ErrorBudgetSweepTests.Stream(7), ErrorBudgetSweepTests.Stream(1234) };
        int without = 0, withoutWrong = 0, withHits = 0, withWrong = 0, calls = 0;
        foreach (var stream in streams)
        {
            var clusterOf = stream.ToDictionary(static p => p.Prompt, static p => p.Cluster, StringComparer.Ordinal);
            var plain = await ErrorBudgetSweepTests.ReplayAsync(stream, Delta);
            without += plain.Hits;
            withoutWrong += plain.Wrong;
            var rescorer = new IntentRescorer(clusterOf);
            var (hits, wrong) = await ErrorBudgetSweepTests.ReplayAsync(stream, Delta, rescorer);
            withHits += hits;
            withWrong += wrong;
            calls += rescorer.Calls;

            // Bounded cost: at most one pair per lookup.
            Assert.InRange(rescorer.Calls, 1, stream.Count);
        }

        var report = $"without: {without} hits, {withoutWrong} wrong; with: {withHits} hits, {withWrong} wrong; {calls} re-scorer calls";
        Assert.True(withHits >= 3 * without && withHits > 0, report);
        Assert.True(withWrong <= Delta * withHits, report);
    }
}
