namespace SemCache.Verification;

internal sealed partial class PromptVerifier
{
    /// <summary>Most shared words the order rule compares (its cost grows with their square).</summary>
    private const int MaxSharedOrderWords = 96;

    /// <summary>
    /// Detects two content words that exchange their places around a word that stays between
    /// them: "from New York to Florida" / "from Florida to New York", "X beats Y" / "Y beats X".
    /// Over the words both prompts use exactly once, x before r before y in the query must become
    /// y before r before x in the candidate, and each of x and y must take the other's slot: at
    /// least one of its neighbours in the candidate is a neighbour the other word had in the
    /// query. Moving a phrase elsewhere ("In August, he left" / "He left in August") never reverses
    /// three words, and a change of voice ("X stores Y" / "Y is stored by X") changes the words
    /// around the arguments, so those paraphrases pass. Function words are never the swapped
    /// arguments, and words swapped around "and"/"or" ("cats and dogs") keep their meaning.
    /// </summary>
    private static bool ArgumentsSwapped(PromptAnalysis query, PromptAnalysis candidate)
    {
        var count = query.OrderHashes.Length;
        if (count < 3 || candidate.OrderHashes.Length < 3)
        {
            return false;
        }

        Span<ushort> positions = stackalloc ushort[MaxSharedOrderWords];
        Span<ushort> queryIndex = stackalloc ushort[MaxSharedOrderWords];
        var shared = 0;
        var sortedHashes = candidate.SortedOrderHashes.AsSpan();
        for (var i = 0; i < count && shared < MaxSharedOrderWords; i++)
        {
            var at = sortedHashes.BinarySearch(query.OrderHashes[i]);
            if (at < 0)
            {
                continue;
            }

            positions[shared] = candidate.SortedOrderPositions[at];
            queryIndex[shared] = (ushort)i;
            shared++;
        }

        for (var i = 0; i < shared - 2; i++)
        {
            var qi = queryIndex[i];
            if (!IsArgument(query.OrderFlags[qi]))
            {
                continue;
            }

            for (var k = i + 2; k < shared; k++)
            {
                var qk = queryIndex[k];
                if (positions[k] >= positions[i] || !IsArgument(query.OrderFlags[qk])
                    || !(TookSlot(query, qk, candidate, positions[i]) || TookSlot(query, qi, candidate, positions[k])))
                {
                    continue;
                }

                for (var m = i + 1; m < k; m++)
                {
                    if (positions[m] < positions[i] && positions[m] > positions[k] && IsRelation(query.OrderFlags[queryIndex[m]]))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// True when the candidate word at <paramref name="candidatePosition"/> has, on either side,
    /// the neighbour that query word <paramref name="queryWord"/> had on the same side.
    /// </summary>
    private static bool TookSlot(PromptAnalysis query, int queryWord, PromptAnalysis candidate, int candidatePosition) =>
        query.OrderPrevious[queryWord] == candidate.OrderPrevious[candidatePosition]
        || query.OrderNext[queryWord] == candidate.OrderNext[candidatePosition];

    /// <summary>A content word or a preposition; not an auxiliary, article, pronoun or conjunction.</summary>
    private static bool IsRelation(byte flags) =>
        (flags & PromptAnalysis.OrderFlag.Relation) != 0
        || (flags & (PromptAnalysis.OrderFlag.Function | PromptAnalysis.OrderFlag.Coordinator)) == 0;

    private static bool IsArgument(byte flags) =>
        (flags & (PromptAnalysis.OrderFlag.Function | PromptAnalysis.OrderFlag.Coordinator)) == 0;
}
