namespace SemCache.Budget;

/// <summary>
/// One label of a cached entry: a lookup at <see cref="Similarity"/>, with the verifier rules that
/// fired (<see cref="Vetoes"/>, the bits of <c>VetoReasons</c>), was (or would have been) answered
/// correctly by the entry or not. Seven bytes on disk; an entry keeps a bounded number of them.
/// </summary>
internal readonly record struct BudgetLabel(float Similarity, ushort Vetoes, bool Correct);
