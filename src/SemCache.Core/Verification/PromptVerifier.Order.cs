namespace SemCache.Verification;

internal sealed partial class PromptVerifier
{
    /// <summary>
    /// Share of their distinct words (Jaccard) from which two prompts count as made of the same
    /// words. Measured: 0.5 to 0.7 give the same false-hit rate on adversarial paraphrases within a
    /// point; 0.6 keeps the most recall on rewritten paraphrases.
    /// </summary>
    private const float SameWordsShare = 0.6f;

    /// <summary>Most shared words the order rule compares (its cost grows with their square).</summary>
    private const int MaxSharedOrderWords = 96;

    /// <summary>
    /// Detects two content words that exchange their roles: "from New York to Florida" / "from
    /// Florida to New York", "X beats Y" / "Y beats X". Over the words both prompts share (a
    /// repeated word is matched by occurrence), a pair x before y in the query that comes as y
    /// before x in the candidate is a swap when a word r stays between them (x r y becomes y r x:
    /// the permutation pattern 321). Moving a phrase elsewhere ("In August, he left" / "He left in
    /// August") only interleaves two increasing runs, which never contains that pattern, so such
    /// paraphrases pass. Function words are never the swapped arguments, words swapped around
    /// "and"/"or" ("cats and dogs") keep their meaning, and words of different sentences never
    /// swap roles.
    /// Prompts made of nearly the same words (<see cref="SameWordsShare"/>) can only differ
    /// through their order, so there any such reversal vetoes, and so does an exact exchange of two
    /// words' slots. Prompts that share fewer words are rewrites, where auxiliaries and reordered
    /// clauses produce reversals by chance; there the middle word must be a content word or a
    /// preposition (not "can", "is", "the"), one of the two words must have taken the other's slot
    /// (the same neighbour before or after it), and repeated words are left out.
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

        // Prompts made of nearly the same words can only differ in meaning through their order,
        // so there any reversal around any word counts; prompts that share fewer words are
        // paraphrases, where a reversal must also be a slot exchange around a relation.
        var union = query.OrderHashes.Length + candidate.OrderHashes.Length - shared;
        var sameWords = shared >= SameWordsShare * union;

        if (!sameWords)
        {
            // Between paraphrases, repeated words are too easily paired with the wrong occurrence.
            var kept = 0;
            for (var s = 0; s < shared; s++)
            {
                if ((query.OrderFlags[queryIndex[s]] & PromptAnalysis.OrderFlag.Repeated) == 0)
                {
                    positions[kept] = positions[s];
                    queryIndex[kept] = queryIndex[s];
                    kept++;
                }
            }

            shared = kept;
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

                // Roles are given within a sentence: words of different sentences never swap roles.
                if (positions[k] >= positions[i] || !IsArgument(query.OrderFlags[qk])
                    || (query.OrderSentences[qi] != query.OrderSentences[qk]
                        && candidate.OrderSentences[positions[i]] != candidate.OrderSentences[positions[k]]))
                {
                    continue;
                }

                var forward = TookSlot(query, qk, candidate, positions[i]);
                var backward = TookSlot(query, qi, candidate, positions[k]);
                if (sameWords && forward && backward && !OnlyCoordinatorsBetween(query, qi, qk))
                {
                    // Nearly the same words, and two of them traded places exactly.
                    return true;
                }

                if (!sameWords && !(forward || backward))
                {
                    continue;
                }

                for (var m = i + 1; m < k; m++)
                {
                    if (positions[m] < positions[i] && positions[m] > positions[k]
                        && (sameWords ? (query.OrderFlags[queryIndex[m]] & PromptAnalysis.OrderFlag.Coordinator) == 0 : IsRelation(query.OrderFlags[queryIndex[m]])))
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

    /// <summary>True when nothing but "and"/"or" stands between two query words ("cats and dogs").</summary>
    private static bool OnlyCoordinatorsBetween(PromptAnalysis query, int first, int last)
    {
        for (var w = first + 1; w < last; w++)
        {
            if ((query.OrderFlags[w] & PromptAnalysis.OrderFlag.Coordinator) == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A content word or a preposition; not an auxiliary, article, pronoun or conjunction.</summary>
    private static bool IsRelation(byte flags) =>
        (flags & PromptAnalysis.OrderFlag.Relation) != 0
        || (flags & (PromptAnalysis.OrderFlag.Function | PromptAnalysis.OrderFlag.Coordinator)) == 0;

    private static bool IsArgument(byte flags) =>
        (flags & (PromptAnalysis.OrderFlag.Function | PromptAnalysis.OrderFlag.Coordinator)) == 0;
}
