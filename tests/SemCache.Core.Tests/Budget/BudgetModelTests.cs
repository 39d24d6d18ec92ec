using SemCache.Budget;

namespace SemCache.Tests.Budget;

public sealed class BudgetModelTests
{
    [Fact]
    public void A_candidate_far_from_its_next_neighbour_is_judged_more_reliable_up_to_a_gap_of_0_15()
    {
        // Labels where a wider gap to the next candidate means a right answer (as on the
        // GPTCache-paraphrase stream, where 87 % are right at a gap of 0.10 and 95 % at 0.14):
        // the model must still tell 0.14 from 0.10, and nothing beyond 0.15.
        var model = new BudgetModel();
        for (var i = 0; i < 200; i++)
        {
            model.Learn(new BudgetLabel(0.93f, 0, Correct: false, Gap: 0.01f), null);
            model.Learn(new BudgetLabel(0.93f, 0, Correct: i % 2 == 0, Gap: 0.05f), null);
            model.Learn(new BudgetLabel(0.93f, 0, Correct: true, Gap: 0.14f), null);
        }

        var (at10, _) = model.Predict(0.93f, 0, 0.10f, null, 1.645);
        var (at14, _) = model.Predict(0.93f, 0, 0.14f, null, 1.645);
        var (at15, _) = model.Predict(0.93f, 0, 0.15f, null, 1.645);
        var (at30, _) = model.Predict(0.93f, 0, 0.30f, null, 1.645);
        Assert.True(at14 > at10, $"P(correct) at gap 0.14 ({at14:0.0000}) should exceed that at 0.10 ({at10:0.0000})");
        Assert.Equal(at15, at30);
    }

    [Fact]
    public void An_absent_score_is_neutral_and_a_score_that_separated_the_labels_moves_the_estimate_both_ways()
    {
        var model = new BudgetModel();

        // Before any label: no score and a score of 0.5 (log-odds 0) give the same estimate.
        Assert.Equal(model.Predict(0.93f, 0, 0.05f, null, 1.645), model.Predict(0.93f, 0, 0.05f, null, 1.645, 0.5f));

        // Labels at one similarity and gap where only the score tells right from wrong.
        for (var i = 0; i < 100; i++)
        {
            model.Learn(new BudgetLabel(0.93f, 0, Correct: true, Gap: 0.05f, Score: 0.9f), null);
            model.Learn(new BudgetLabel(0.93f, 0, Correct: false, Gap: 0.05f, Score: 0.1f), null);
        }

        var (high, _) = model.Predict(0.93f, 0, 0.05f, null, 1.645, 0.9f);
        var (low, _) = model.Predict(0.93f, 0, 0.05f, null, 1.645, 0.1f);
        var (none, _) = model.Predict(0.93f, 0, 0.05f, null, 1.645);
        Assert.True(high > 0.95, $"P(correct) with a high score: {high:0.0000}");
        Assert.True(low < 0.05, $"P(correct) with a low score: {low:0.0000}");
        Assert.InRange(none, low, high);
    }
}
