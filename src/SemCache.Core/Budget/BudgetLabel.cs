namespace SemCache.Budget;

/// <summary>
/// One label of a cached entry: a lookup at <see cref="Similarity"/>, with the verifier rules that
/// fired (<see cref="Vetoes"/>, the bits of <c>VetoReasons</c>) and <see cref="Gap"/> to the next
/// candidate, and the re-scorer's <see cref="Score"/> when one was configured, was (or would have
/// been) answered correctly by the entry or not. Eleven bytes on disk (fifteen with a score); an
/// entry keeps a bounded number of them.
/// </summary>
/// <param name="Similarity">Cosine similarity of the lookup to the entry.</param>
/// <param name="Vetoes">The verifier rules that fired (bits of <c>VetoReasons</c>).</param>
/// <param name="Correct">Whether the entry's answer was (or would have been) right.</param>
/// <param name="Gap">
/// Similarity of this candidate minus that of the next one (or minus the budget's lowest similarity
/// when there is none): a cached prompt with near neighbours is easier to confuse.
/// </param>
/// <param name="Score">
/// The <c>ICandidateRescorer</c>'s score of the pair (0 to 1), or NaN when none was computed (no
/// re-scorer, or it failed): a label without a score teaches the model nothing about the score.
/// </param>
internal readonly record struct BudgetLabel(float Similarity, ushort Vetoes, bool Correct, float Gap, float Score = float.NaN)
{
    /// <summary>True when the label carries a re-scorer score.</summary>
    public bool HasScore => float.IsFinite(Score);
}
