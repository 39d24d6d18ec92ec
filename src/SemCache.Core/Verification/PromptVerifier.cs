namespace SemCache.Verification;

/// <summary>
/// Decides whether a stored entry may be served for a query that the embedding found similar:
/// each enabled rule compares the two <see cref="PromptAnalysis"/> values and may veto.
/// <see cref="Verify"/> reads only precomputed arrays and short strings: no allocation, no regex.
/// </summary>
internal sealed partial class PromptVerifier
{
    private readonly VerifierOptions _options;

    public PromptVerifier(VerifierOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <summary>The options this verifier applies.</summary>
    public VerifierOptions Options => _options;

    /// <summary>
    /// Verifies <paramref name="candidate"/> (a stored prompt) for <paramref name="query"/>. All
    /// enabled rules run, so that a veto carries every reason and metrics count each rule.
    /// </summary>
    public VerificationResult Verify(PromptAnalysis query, PromptAnalysis candidate, float similarity)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(candidate);
        if (!_options.Enabled)
        {
            return new VerificationResult(VetoReasons.None, similarity);
        }

        var vetoes = VetoReasons.None;
        if (_options.Numbers)
        {
            vetoes |= CompareNumbers(query, candidate) | CompareNumbers(candidate, query);
        }

        if (_options.Dates && !query.Dates.AsSpan().SequenceEqual(candidate.Dates))
        {
            vetoes |= VetoReasons.Date;
        }

        if (_options.Negation && NegationDiffers(query.Negations, candidate.Negations))
        {
            vetoes |= VetoReasons.Negation;
        }

        if (_options.Entities && (!EntitiesFound(query, candidate) || !EntitiesFound(candidate, query)))
        {
            vetoes |= VetoReasons.Entity;
        }

        if (_options.QuotedStrings && (!QuotesFound(query, candidate) || !QuotesFound(candidate, query)))
        {
            vetoes |= VetoReasons.Quoted;
        }

        if (_options.CodeIdentifiers && (!AllContained(query.Codes, candidate) || !AllContained(candidate.Codes, query)))
        {
            vetoes |= VetoReasons.Code;
        }

        if (_options.Versions && (!AllContained(query.Versions, candidate) || !AllContained(candidate.Versions, query)))
        {
            vetoes |= VetoReasons.Version;
        }

        if (_options.Antonyms && AntonymsOppose(query.Antonyms, candidate.Antonyms))
        {
            vetoes |= VetoReasons.Antonym;
        }

        if (_options.QuestionKind && query.Question != PromptAnalysis.QuestionKind.None
            && candidate.Question != PromptAnalysis.QuestionKind.None && query.Question != candidate.Question)
        {
            vetoes |= VetoReasons.Question;
        }

        if (_options.WordOrder && ArgumentsSwapped(query, candidate))
        {
            vetoes |= VetoReasons.Order;
        }

        if (_options.NearIdentical && similarity < _options.NearIdenticalMinSimilarity
            && IsNearIdentical(query, candidate, _options.NearIdenticalWordShare))
        {
            vetoes |= VetoReasons.NearIdentical;
        }

        return new VerificationResult(vetoes, similarity);
    }

    /// <summary>
    /// True when the prompts share at least <paramref name="share"/> of their words (Jaccard) and
    /// their content words (all but function words: articles, auxiliaries, pronouns, prepositions)
    /// were changed or moved. A content word only added or dropped ("capital of France" / "capital
    /// city of France") is left to the similarity and the other rules, and so is a change of
    /// function words alone around the same content words in the same order ("How do I improve my
    /// English?" / "How can I improve my English?", "What is" / "What's"): ordinary rewordings of
    /// questions do exactly that. Content words swapped or substituted among the same words are
    /// what the similarity cannot see (adversarial paraphrases).
    /// </summary>
    internal static bool IsNearIdentical(PromptAnalysis query, PromptAnalysis candidate, float share)
    {
        var common = CommonWords(query, candidate, contentOnly: false);
        var left = query.SortedOrderHashes.Length;
        var right = candidate.SortedOrderHashes.Length;
        var union = left + right - common;
        if (union == 0 || common < share * union)
        {
            return false;
        }

        var contentCommon = CommonWords(query, candidate, contentOnly: true);
        var contentLeft = ContentCount(query);
        var contentRight = ContentCount(candidate);
        if (contentLeft != contentRight && (contentCommon == contentLeft || contentCommon == contentRight))
        {
            return false;
        }

        return !(contentCommon == contentLeft && contentCommon == contentRight && SameContentOrder(query, candidate));
    }

    private static bool IsContent(PromptAnalysis analysis, int sortedIndex) =>
        (analysis.OrderFlags[analysis.SortedOrderPositions[sortedIndex]] & PromptAnalysis.OrderFlag.Function) == 0;

    private static int ContentCount(PromptAnalysis analysis)
    {
        var count = 0;
        foreach (var flag in analysis.OrderFlags)
        {
            count += (flag & PromptAnalysis.OrderFlag.Function) == 0 ? 1 : 0;
        }

        return count;
    }

    /// <summary>True when both prompts hold their content words in the same order.</summary>
    private static bool SameContentOrder(PromptAnalysis query, PromptAnalysis candidate)
    {
        int i = 0, j = 0;
        var left = query.OrderHashes;
        var right = candidate.OrderHashes;
        while (true)
        {
            while (i < left.Length && (query.OrderFlags[i] & PromptAnalysis.OrderFlag.Function) != 0) { i++; }
            while (j < right.Length && (candidate.OrderFlags[j] & PromptAnalysis.OrderFlag.Function) != 0) { j++; }
            if (i == left.Length || j == right.Length) { return i == left.Length && j == right.Length; }
            if (left[i] != right[j]) { return false; }
            i++;
            j++;
        }
    }

    private static int CommonWords(PromptAnalysis query, PromptAnalysis candidate, bool contentOnly)
    {
        var left = query.SortedOrderHashes;
        var right = candidate.SortedOrderHashes;
        int i = 0, j = 0, common = 0;
        while (i < left.Length && j < right.Length)
        {
            if (left[i] == right[j])
            {
                common += !contentOnly || IsContent(query, i) ? 1 : 0;
                i++;
                j++;
            }
            else if (left[i] < right[j])
            {
                i++;
            }
            else
            {
                j++;
            }
        }

        return common;
    }

    /// <summary>
    /// Negated against not negated, or an odd against an even number of markers ("not" and "not
    /// ... never" both negate; "not" and nothing do not agree).
    /// </summary>
    private static bool NegationDiffers(int query, int candidate) =>
        (query == 0) != (candidate == 0) || ((query ^ candidate) & 1) != 0;

    /// <summary>
    /// Every number of <paramref name="from"/> must be in <paramref name="to"/> with the same value
    /// (units must agree when both name one), or its digits must appear inside a name of
    /// <paramref name="to"/> (python3 and "Python 3").
    /// </summary>
    private static VetoReasons CompareNumbers(PromptAnalysis from, PromptAnalysis to)
    {
        var vetoes = VetoReasons.None;
        foreach (var number in from.Numbers)
        {
            var sameValue = false;
            var sameUnit = false;
            foreach (var other in to.Numbers)
            {
                if (other.Value.Equals(number.Value) || Math.Abs(other.Value - number.Value) <= 1e-9 * Math.Abs(number.Value))
                {
                    sameValue = true;
                    if (number.Unit == 0 || other.Unit == 0 || number.Unit == other.Unit)
                    {
                        sameUnit = true;
                        break;
                    }
                }
            }

            if (!sameValue)
            {
                if (!to.ContainsDigits(number.Digits))
                {
                    vetoes |= VetoReasons.Number;
                }
            }
            else if (!sameUnit)
            {
                vetoes |= VetoReasons.Unit;
            }
        }

        return vetoes;
    }

    /// <summary>
    /// Every entity of <paramref name="from"/> appears in <paramref name="to"/>: spelled the same
    /// (case and spacing aside), as the acronym of a run it belongs to, or spelled out by an
    /// acronym of <paramref name="to"/>.
    /// </summary>
    private static bool EntitiesFound(PromptAnalysis from, PromptAnalysis to)
    {
        foreach (var entity in from.Entities)
        {
            if (to.ContainsWhole(entity.Folded) || to.HasAcronym(entity.Folded))
            {
                continue;
            }

            var found = false;
            foreach (var acronym in entity.Acronyms)
            {
                if (to.ContainsWhole(acronym))
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Every quoted string of <paramref name="from"/> is in <paramref name="to"/>: as written (case,
    /// spacing and punctuation aside), or word by word, each of its content words a whole word of
    /// <paramref name="to"/>. A quote is what the prompt is about ("translate 'I love you'"), so
    /// another quote vetoes; the same quote reworded around it, re-punctuated or not quoted at all
    /// in the other prompt is the same request.
    /// </summary>
    private static bool QuotesFound(PromptAnalysis from, PromptAnalysis to)
    {
        for (var q = 0; q < from.Quoted.Length; q++)
        {
            if (to.ContainsWhole(from.Quoted[q]))
            {
                continue;
            }

            var words = from.QuotedWords[q];
            if (words.Length == 0)
            {
                return false;
            }

            foreach (var word in words)
            {
                if (!to.ContainsWhole(word))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool AllContained(string[] items, PromptAnalysis to)
    {
        foreach (var item in items)
        {
            if (!to.ContainsWhole(item))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>One side holds only one term of an antonym pair and the other side only its opposite.</summary>
    private static bool AntonymsOppose(ushort[] query, ushort[] candidate)
    {
        foreach (var side in query)
        {
            var opposite = (ushort)(side ^ 1);
            if (candidate.AsSpan().BinarySearch(opposite) >= 0
                && candidate.AsSpan().BinarySearch(side) < 0
                && query.AsSpan().BinarySearch(opposite) < 0)
            {
                return true;
            }
        }

        return false;
    }
}
