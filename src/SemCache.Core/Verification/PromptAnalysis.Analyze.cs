using System.Globalization;
using System.Text;

namespace SemCache.Verification;

internal sealed partial class PromptAnalysis
{
    /// <summary>Longest prompt analysed; the rest of a longer prompt is ignored by the rules.</summary>
    internal const int MaxAnalysedLength = 16_384;

    /// <summary>Most tokens the order rule compares per prompt.</summary>
    internal const int MaxOrderTokens = 256;

    // Caps on what one prompt contributes to the rules. Each kept fact costs the verifier a search
    // of the other prompt (linear in its length) per candidate, so an unbounded count would make a
    // crafted prompt ("AB " x 5,400: 5,400 entities) quadratic to verify. Ordinary prompts stay far
    // below them; facts beyond a cap are ignored by the rules, like text beyond MaxAnalysedLength.

    /// <summary>Most distinct named entities kept per prompt.</summary>
    internal const int MaxEntities = 64;

    /// <summary>Most distinct acronyms (initials of name runs and camel-case capitals) kept per prompt.</summary>
    internal const int MaxAcronyms = 256;

    /// <summary>Most distinct quoted strings kept per prompt.</summary>
    internal const int MaxQuotes = 32;

    /// <summary>Most distinct code identifiers, and separately version strings, kept per prompt.</summary>
    internal const int MaxCodes = 64;

    /// <summary>Most numbers kept per prompt.</summary>
    internal const int MaxNumbers = 256;

    /// <summary>Most tokens whose initials are taken as one acronym (HF, NYC, ...).</summary>
    private const int MaxAcronymTokens = 5;

    /// <summary>
    /// Longest run of names whose initials are taken as acronyms at all. A longer run is a shouted
    /// sentence or a list, not one name; it would only cost four acronyms per token.
    /// </summary>
    internal const int MaxAcronymRun = 16;

    private const uint StartOfText = 0;
    private const uint EndOfText = 1;

    /// <summary>Analyses <paramref name="text"/>. Allocates; runs once per stored entry and once per lookup.</summary>
    internal static PromptAnalysis Analyze(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxAnalysedLength)
        {
            text = text[..MaxAnalysedLength];
        }

        var tokens = Tokenizer.Tokenize(text);
        var builder = new Builder(text, tokens);
        return builder.Build();
    }

    /// <summary>Collects the facts of one prompt from its tokens.</summary>
    private sealed class Builder(string text, List<Token> tokens)
    {
        private readonly List<NumberFact> _numbers = [];
        private readonly List<byte> _dates = [];
        private readonly List<EntityTerm> _entities = [];
        private readonly HashSet<EntityTerm> _entitySet = new(EntityTermComparer.Instance);
        private readonly List<string> _acronyms = [];
        private readonly HashSet<string> _acronymSet = new(StringComparer.Ordinal);
        private readonly List<(string Folded, string[] Words)> _quoted = [];
        private readonly List<string> _codes = [];
        private readonly List<string> _versions = [];
        private readonly List<ushort> _antonyms = [];
        private int _negations;

        public PromptAnalysis Build()
        {
            var analysis = new PromptAnalysis();
            BuildFolded(analysis);
            var germanCase = LooksLikeNounCapitalisingLanguage();
            for (var i = 0; i < tokens.Count; i++)
            {
                i = Classify(i);
            }

            analysis.Question = FirstQuestionKind();
            CollectEntities(germanCase);
            CollectQuotes();
            BuildOrder(analysis);

            // The first MaxNumbers in text order, then sorted by value.
            var numbers = _numbers.Count > MaxNumbers ? _numbers.GetRange(0, MaxNumbers) : _numbers;
            numbers.Sort(static (x, y) => x.Value.CompareTo(y.Value));
            analysis.Numbers = [.. numbers];
            analysis.Dates = [.. _dates.Distinct().Order()];
            analysis.Negations = _negations;
            analysis.Entities = [.. _entities];
            analysis.Acronyms = [.. _acronyms];
            var quotes = _quoted.DistinctBy(static q => q.Folded, StringComparer.Ordinal).Take(MaxQuotes).ToArray();
            analysis.Quoted = [.. quotes.Select(static q => q.Folded)];
            analysis.QuotedWords = [.. quotes.Select(static q => q.Words)];
            analysis.Codes = [.. _codes.Distinct(StringComparer.Ordinal).Take(MaxCodes)];
            analysis.Versions = [.. _versions.Distinct(StringComparer.Ordinal).Take(MaxCodes)];
            analysis.Antonyms = [.. _antonyms.Distinct().Order()];
            return analysis;
        }

        private void BuildFolded(PromptAnalysis analysis)
        {
            var folded = new StringBuilder(text.Length);
            var starts = new List<int>(tokens.Count);
            foreach (var token in tokens)
            {
                if (token.Folded.Length == 0)
                {
                    continue;
                }

                starts.Add(folded.Length);
                folded.Append(token.Folded);
            }

            analysis.Folded = folded.ToString();
            var bits = new ulong[(analysis.Folded.Length >> 6) + 1];
            foreach (var start in starts)
            {
                bits[start >> 6] |= 1UL << (start & 63);
            }

            analysis.TokenStarts = bits;
        }

        /// <summary>
        /// German (and Luxembourgish) capitalise every noun, so capitalisation does not mark a name
        /// there; recognised by two or more of its most frequent function words.
        /// </summary>
        private bool LooksLikeNounCapitalisingLanguage()
        {
            var hits = 0;
            foreach (var token in tokens)
            {
                if (token.Lower is "der" or "das" or "und" or "ist" or "nicht" or "ein" or "eine" or "mit" or "für"
                    or "auf" or "sich" or "wie" or "ich" or "wird" or "kann" or "dem" or "von" or "im" or "zu" or "ihr")
                {
                    hits++;
                }
            }

            return hits >= 2;
        }

        /// <summary>Classifies token <paramref name="i"/>; returns the last token index it consumed.</summary>
        private int Classify(int i)
        {
            var token = tokens[i];
            if (token.Unspaced)
            {
                CountUnspacedNegations(token.Lower);
                if (Lexicon.DateWords.TryGetValue(token.Lower, out var unspacedDate))
                {
                    _dates.Add(unspacedDate);
                }

                return i;
            }

            var lower = token.Lower;
            if (IsNegation(i))
            {
                _negations++;
            }

            if (token.StartsWithDigit)
            {
                return ClassifyNumeral(i);
            }

            // "thousands of files", "several thousand", "hundreds": vague sizes, not numbers.
            var hyphen = lower.IndexOf('-', StringComparison.Ordinal);
            if (hyphen > 0 && Lexicon.NumberWords.TryGetValue(lower[..hyphen], out var compoundValue))
            {
                // "two-step", "three-day": the number of a compound adjective.
                _numbers.Add(new NumberFact(compoundValue, 0, FormatDigits(compoundValue)));
                return i;
            }

            if (Lexicon.NumberWords.TryGetValue(lower, out var wordValue) && !IsVagueQuantity(i))
            {
                var last = i;
                if (i + 1 < tokens.Count && Lexicon.Multipliers.TryGetValue(tokens[i + 1].Lower, out var scale) && scale > wordValue)
                {
                    wordValue *= scale;
                    last = i + 1;
                }

                var unit = UnitAfter(last, out var unitToken);
                _numbers.Add(new NumberFact(wordValue, unit, FormatDigits(wordValue)));
                return unitToken;
            }

            if (Lexicon.DateWords.TryGetValue(lower, out var date)
                && (!Lexicon.AmbiguousDateWords.Contains(lower) || (token.Capitalized && !token.SentenceStart)))
            {
                _dates.Add(date);
            }

            if (i + 1 < tokens.Count && !tokens[i + 1].Unspaced
                && Lexicon.AntonymSides.TryGetValue(token.Folded + tokens[i + 1].Folded, out var pairSide))
            {
                _antonyms.Add(pairSide);
                return i + 1;
            }

            if (Lexicon.AntonymSides.TryGetValue(token.Folded, out var side))
            {
                _antonyms.Add(side);
            }

            if (token.HasDigit)
            {
                // Letters and digits in one token: a version or a model name (python3, GPT-4, v2).
                _versions.Add(token.Folded);
            }
            else if (token.IsCode)
            {
                _codes.Add(token.Folded);
            }

            return i;
        }

        /// <summary>
        /// The kind of the first sentence that opens with an interrogative. Only sentence openings
        /// count: inside a sentence "when", "where" and "how" are mostly conjunctions ("tell me when
        /// it opens" asks for a time, "call me when it opens" does not).
        /// </summary>
        private byte FirstQuestionKind()
        {
            for (var i = 0; i < tokens.Count; i++)
            {
                var token = tokens[i];
                if (!token.SentenceStart || token.Unspaced)
                {
                    continue;
                }

                var next = i + 1 < tokens.Count ? tokens[i + 1].Lower : string.Empty;
                var third = i + 2 < tokens.Count ? tokens[i + 2].Lower : string.Empty;
                // "When I run it, it fails" and "How I fixed it" open statements; as questions these
                // words are followed by an auxiliary ("when does", "how can") or "to" ("how to").
                var asks = next is "to" || Lexicon.Auxiliaries.Contains(next);
                var kind = token.Lower switch
                {
                    "why" or "warum" or "wieso" or "weshalb" or "pourquoi" => PromptAnalysis.QuestionKind.Reason,
                    "how" => next switch
                    {
                        // "How much time" and "how many days" ask what "how long" asks.
                        "many" or "much" when third is "time" or "seconds" or "minutes" or "hours" or "days" or "weeks" or "months" or "years"
                            => PromptAnalysis.QuestionKind.Duration,
                        "many" or "much" => PromptAnalysis.QuestionKind.Amount,
                        "long" => PromptAnalysis.QuestionKind.Duration,
                        "come" => PromptAnalysis.QuestionKind.Reason,
                        "old" or "far" or "big" or "often" or "tall" or "fast" or "large" or "small" or "high" => PromptAnalysis.QuestionKind.Amount,
                        _ when asks => PromptAnalysis.QuestionKind.Manner,
                        _ => PromptAnalysis.QuestionKind.None,
                    },
                    "comment" => PromptAnalysis.QuestionKind.Manner,
                    "when" when asks => PromptAnalysis.QuestionKind.Time,
                    "where" when asks => PromptAnalysis.QuestionKind.Place,
                    "wann" or "cuándo" => PromptAnalysis.QuestionKind.Time,
                    "wo" or "dónde" => PromptAnalysis.QuestionKind.Place,
                    "who" or "whom" or "whose" or "wer" or "quién" or "quiénes" => PromptAnalysis.QuestionKind.Person,
                    "what" or "which" when next is "time" or "year" or "date" or "day" => PromptAnalysis.QuestionKind.Time,
                    _ => PromptAnalysis.QuestionKind.None,
                };
                if (kind != PromptAnalysis.QuestionKind.None)
                {
                    return kind;
                }
            }

            return PromptAnalysis.QuestionKind.None;
        }

        /// <summary>
        /// A negation marker, a contraction (doesn't) or a negating prefix (non-streaming, no-code);
        /// not the answer word "No," that opens a sentence.
        /// </summary>
        private bool IsNegation(int i)
        {
            var token = tokens[i];
            var lower = token.Lower;
            if (lower.EndsWith("n't", StringComparison.Ordinal) || lower.EndsWith("n’t", StringComparison.Ordinal)
                || lower.StartsWith("non-", StringComparison.Ordinal) || lower.StartsWith("no-", StringComparison.Ordinal))
            {
                return true;
            }

            if (!Lexicon.Negations.Contains(lower))
            {
                return false;
            }

            if (lower is "no" or "non" or "nein" or "нет" && token.SentenceStart)
            {
                var after = token.Start + token.Length;
                while (after < text.Length && text[after] == ' ')
                {
                    after++;
                }

                return !(after >= text.Length || text[after] is ',' or '.' or '!' or ';' or ':' or '，' or '。');
            }

            return true;
        }

        private bool IsVagueQuantity(int i)
        {
            if (!Lexicon.Multipliers.ContainsKey(tokens[i].Lower) && tokens[i].Lower != "dozen")
            {
                return false;
            }

            return i == 0 || !(tokens[i - 1].StartsWithDigit || Lexicon.NumberWords.ContainsKey(tokens[i - 1].Lower));
        }

        /// <summary>A list marker: "1)" or "2." opening a line or following a colon.</summary>
        private bool IsEnumerator(Token token)
        {
            var end = token.Start + token.Length;
            if (end >= text.Length || !(text[end] == ')' || (text[end] == '.' && (end + 1 == text.Length || char.IsWhiteSpace(text[end + 1])))))
            {
                return false;
            }

            if (text[end] == ')')
            {
                return token.Length <= 2;
            }

            for (var k = token.Start - 1; k >= 0; k--)
            {
                if (text[k] == '\n' || text[k] == ':')
                {
                    return true;
                }

                if (!char.IsWhiteSpace(text[k]))
                {
                    return false;
                }
            }

            return true;
        }

        private void CountUnspacedNegations(string run)
        {
            foreach (var marker in Lexicon.UnspacedNegations)
            {
                var from = 0;
                while (from < run.Length)
                {
                    var at = run.IndexOf(marker, from, StringComparison.Ordinal);
                    if (at < 0)
                    {
                        break;
                    }

                    _negations++;
                    from = at + marker.Length;
                }
            }
        }

        /// <summary>A token that starts with a digit: a number, a quantity, an ordinal or a version.</summary>
        private int ClassifyNumeral(int i)
        {
            var token = tokens[i];
            if (IsEnumerator(token))
            {
                return i;
            }

            var lower = token.Lower;
            var digitsEnd = 0;
            while (digitsEnd < lower.Length && (char.IsAsciiDigit(lower[digitsEnd]) || lower[digitsEnd] is '.' or ','))
            {
                digitsEnd++;
            }

            var numeral = lower[..digitsEnd];
            var suffix = lower[digitsEnd..].TrimStart('-');
            var dots = numeral.Count(static c => c == '.');
            if (dots >= 2 && !numeral.Contains(',', StringComparison.Ordinal))
            {
                // 1.2.3 is a version, unless it is a thousands-grouped number (1.000.000).
                if (!IsGrouped(numeral, '.'))
                {
                    _versions.Add(token.Folded);
                    return i;
                }
            }

            if (!TryParseNumber(numeral, out var value))
            {
                _versions.Add(token.Folded);
                return i;
            }

            byte unit = 0;
            if (suffix.Length > 0)
            {
                if (suffix is "st" or "nd" or "rd" or "th" or "s" or "er" or "e" or "eme" or "ème" or "º" or "ª")
                {
                    // Ordinals (11th, 2e) and decades (1990s) keep the number's value.
                }
                else if (Lexicon.Multipliers.TryGetValue(suffix, out var scale) && suffix != "m")
                {
                    value *= scale;
                }
                else if (Lexicon.Units.TryGetValue(suffix, out var suffixUnit))
                {
                    unit = suffixUnit;
                }
                else
                {
                    _versions.Add(token.Folded);
                    return i;
                }
            }

            var last = i;
            if (i + 1 < tokens.Count && Lexicon.Multipliers.TryGetValue(tokens[i + 1].Lower, out var wordScale) && tokens[i + 1].Lower.Length > 2)
            {
                value *= wordScale;
                last = i + 1;
            }

            if (unit == 0)
            {
                unit = SymbolUnit(token.Start, token.Start + token.Length);
            }

            if (unit == 0)
            {
                unit = UnitAfter(last, out var unitToken);
                if (unit != 0)
                {
                    last = unitToken;
                }
            }

            var digits = DigitsOf(numeral);
            if (IsNegative(token.Start))
            {
                // "-1" and "1" ask different things; the sign travels in the digits too, so that finding the
                // bare digits in the other prompt does not excuse the difference.
                value = -value;
                digits = "-" + digits;
            }

            _numbers.Add(new NumberFact(value, unit, digits));
            return last;
        }

        /// <summary>
        /// A minus sign written against the number and standing on its own ("-1", "(-5", "= -3"): not the hyphen
        /// of a name or a range ("COVID-19", "1-5"), which follows a letter or a digit.
        /// </summary>
        private bool IsNegative(int start)
        {
            if (start == 0 || text[start - 1] != '-')
            {
                return false;
            }

            return start == 1 || char.IsWhiteSpace(text[start - 2]) || text[start - 2] is '(' or '[' or '=' or ':' or ',';
        }

        /// <summary>The unit written as a symbol next to the number: $5, 5 %, 5€.</summary>
        private byte SymbolUnit(int start, int end)
        {
            var before = start - 1;
            while (before >= 0 && text[before] == ' ')
            {
                before--;
            }

            if (before >= 0 && text[before] is '$' or '€' or '£' or '¥' && Lexicon.Units.TryGetValue(text[before].ToString(), out var pre))
            {
                return pre;
            }

            var after = end;
            while (after < text.Length && text[after] == ' ')
            {
                after++;
            }

            if (after < text.Length && text[after] is '%' or '$' or '€' or '£' or '¥' && Lexicon.Units.TryGetValue(text[after].ToString(), out var post))
            {
                return post;
            }

            if (after + 1 < text.Length && text[after] == '°' && Lexicon.Units.TryGetValue(string.Concat("°", char.ToLowerInvariant(text[after + 1]).ToString()), out var degrees))
            {
                return degrees;
            }

            return 0;
        }

        private byte UnitAfter(int i, out int lastToken)
        {
            lastToken = i;
            if (i + 1 < tokens.Count && !tokens[i + 1].Unspaced && Lexicon.Units.TryGetValue(tokens[i + 1].Lower, out var unit)
                && tokens[i + 1].Lower is not ("in" or "m" or "s" or "l" or "b" or "g" or "h" or "v" or "w" or "min"))
            {
                lastToken = i + 1;
                return unit;
            }

            return 0;
        }

        private static bool IsGrouped(string numeral, char separator)
        {
            var groups = numeral.Split(separator);
            for (var g = 1; g < groups.Length; g++)
            {
                if (groups[g].Length != 3)
                {
                    return false;
                }
            }

            return groups[0].Length is > 0 and <= 3;
        }

        /// <summary>
        /// Parses 1,000.5 / 1.000,5 / 3,5 / 1 000: the last separator followed by exactly three
        /// digits groups thousands unless another separator kind follows it.
        /// </summary>
        private static bool TryParseNumber(string numeral, out double value)
        {
            var trimmed = numeral.Trim('.', ',');
            if (trimmed.Length == 0)
            {
                value = 0;
                return false;
            }

            var lastDot = trimmed.LastIndexOf('.');
            var lastComma = trimmed.LastIndexOf(',');
            char? decimalSeparator = null;
            if (lastDot >= 0 && lastComma >= 0)
            {
                decimalSeparator = lastDot > lastComma ? '.' : ',';
            }
            else if (lastDot >= 0 || lastComma >= 0)
            {
                var separator = lastDot >= 0 ? '.' : ',';
                var count = trimmed.Count(c => c == separator);
                var lastIndex = Math.Max(lastDot, lastComma);
                var isGrouping = count > 1 || (separator == ',' && trimmed.Length - lastIndex - 1 == 3);
                decimalSeparator = isGrouping ? null : separator;
            }

            var builder = new StringBuilder(trimmed.Length);
            foreach (var c in trimmed)
            {
                if (char.IsAsciiDigit(c))
                {
                    builder.Append(c);
                }
                else if (c == decimalSeparator)
                {
                    builder.Append('.');
                }
            }

            return double.TryParse(builder.ToString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
        }

        private static string DigitsOf(string numeral) => numeral.Trim('.', ',').Replace(",", string.Empty, StringComparison.Ordinal);

        private static string FormatDigits(double value) => value.ToString("0.##########", CultureInfo.InvariantCulture);

        /// <summary>
        /// Names: acronyms and camel-case names anywhere, capitalised words that do not start a
        /// sentence (except in languages that capitalise every noun). Adjacent names form a run whose
        /// initials may stand for it elsewhere ("Hugging Face" / "HF").
        /// </summary>
        private void CollectEntities(bool germanCase)
        {
            var isEntity = new bool[tokens.Count];
            for (var i = 0; i < tokens.Count; i++)
            {
                var token = tokens[i];
                if (token.Unspaced || !token.HasLetter || token.HasDigit || token.IsCode)
                {
                    continue;
                }

                if (token.AllCaps || token.UpperCamel)
                {
                    isEntity[i] = true;
                }
                else if (token.Capitalized && !token.SentenceStart && !germanCase && token.Folded.Length > 1
                    && !Lexicon.FunctionWords.Contains(token.Lower))
                {
                    isEntity[i] = true;
                }
            }

            for (var i = 0; i < tokens.Count; i++)
            {
                var token = tokens[i];
                if (token.UpperCamel || (token.LowerCamel && token.Capitals.Length >= 2))
                {
                    AddAcronym(token.Capitals);
                }
            }

            var runStart = 0;
            while (runStart < tokens.Count && _entities.Count < MaxEntities)
            {
                if (!isEntity[runStart])
                {
                    runStart++;
                    continue;
                }

                var runEnd = runStart + 1;
                while (runEnd < tokens.Count && isEntity[runEnd] && OnlySpaceBetween(tokens[runEnd - 1], tokens[runEnd]))
                {
                    runEnd++;
                }

                // A capitalised first word right before a name ("Hugging Face") belongs to the name
                // for its acronym, though it is not checked as a name itself.
                var acronymStart = runStart;
                if (runStart > 0 && tokens[runStart - 1].Capitalized && tokens[runStart - 1].SentenceStart
                    && !tokens[runStart - 1].HasDigit && !Lexicon.FunctionWords.Contains(tokens[runStart - 1].Lower)
                    && OnlySpaceBetween(tokens[runStart - 1], tokens[runStart]))
                {
                    acronymStart = runStart - 1;
                }

                AddRun(acronymStart, runStart, runEnd);
                runStart = runEnd;
            }
        }

        private bool OnlySpaceBetween(Token left, Token right)
        {
            for (var c = left.Start + left.Length; c < right.Start; c++)
            {
                if (!char.IsWhiteSpace(text[c]))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// Adds the run's tokens as entities with the acronyms of the spans of 2 to
        /// <see cref="MaxAcronymTokens"/> tokens that contain them. Each span's initials are built
        /// once and each token looks only at the spans around it, so a run of n names costs O(n),
        /// not O(n²). Entities with the same spelling and acronyms are one check for the verifier,
        /// so repeats are kept once, up to <see cref="MaxEntities"/>.
        /// </summary>
        private void AddRun(int acronymStart, int start, int end)
        {
            const int Widths = MaxAcronymTokens - 1;
            var spans = end - acronymStart <= MaxAcronymRun;
            var initials = spans ? new string?[(end - acronymStart) * Widths] : [];
            for (var from = acronymStart; spans && from < end; from++)
            {
                for (var to = from + 2; to <= Math.Min(end, from + MaxAcronymTokens); to++)
                {
                    var acronym = Initials(from, to);
                    initials[((from - acronymStart) * Widths) + (to - from - 2)] = acronym;
                    AddAcronym(acronym);
                }
            }

            var own = new List<string>(16);
            for (var k = start; k < end && _entities.Count < MaxEntities; k++)
            {
                own.Clear();

                // Spans [from, to) holding k.
                for (var from = Math.Max(acronymStart, k - MaxAcronymTokens + 1); spans && from <= k; from++)
                {
                    for (var to = Math.Max(from + 2, k + 1); to <= Math.Min(end, from + MaxAcronymTokens); to++)
                    {
                        AddOnce(own, initials[((from - acronymStart) * Widths) + (to - from - 2)]!);
                    }
                }

                if (tokens[k].UpperCamel)
                {
                    AddOnce(own, tokens[k].Capitals);
                }

                var term = new EntityTerm(tokens[k].Folded, [.. own]);
                if (_entitySet.Add(term))
                {
                    _entities.Add(term);
                }
            }
        }

        private static void AddOnce(List<string> list, string item)
        {
            if (!list.Contains(item, StringComparer.Ordinal))
            {
                list.Add(item);
            }
        }

        private void AddAcronym(string acronym)
        {
            if (_acronyms.Count < MaxAcronyms && _acronymSet.Add(acronym))
            {
                _acronyms.Add(acronym);
            }
        }

        private string Initials(int from, int to) => string.Create(to - from, (tokens, from), static (chars, state) =>
        {
            for (var k = 0; k < chars.Length; k++)
            {
                chars[k] = state.tokens[state.from + k].Folded[0];
            }
        });

        /// <summary>
        /// Quoted strings in straight, curly, guillemet, CJK and TeX-style quotes, and backticks.
        /// Linear in the text: a quote that closes moves the scan past its end, and a search for a
        /// kind of closing quote that fails remembers where it stopped (the end of the line), so the
        /// next opening quote of that kind on the same line is not searched again. Without that,
        /// 16,000 '‘' with no '’' cost 128 million comparisons.
        /// </summary>
        private void CollectQuotes()
        {
            // Per quote kind: no valid closing quote lies before this position (a line end or the end).
            Span<int> noCloseBefore = stackalloc int[QuoteKinds];
            noCloseBefore.Clear();
            for (var i = 0; i < text.Length; i++)
            {
                var open = text[i];
                var (close, kind) = open switch
                {
                    '"' => ("\"", 0),
                    '“' => ("”", 1),
                    '„' => ("“”", 2),
                    '«' => ("»", 3),
                    '‹' => ("›", 4),
                    '「' => ("」", 5),
                    '『' => ("』", 6),
                    '`' => i + 1 < text.Length && text[i + 1] == '`' ? ("'", 7) : ("`", 8),
                    '\'' => (i == 0 || char.IsWhiteSpace(text[i - 1]) || text[i - 1] is '(' or '[') ? ("'", 9) : (null, -1),
                    '‘' => ("’", 10),
                    _ => ((string?)null, -1),
                };
                if (close is null)
                {
                    continue;
                }

                var contentStart = open == '`' && close == "'" ? i + 2 : i + 1;
                if (contentStart < noCloseBefore[kind])
                {
                    continue;
                }

                var end = FindClose(contentStart, close, open, out var stoppedAt);
                if (end < 0)
                {
                    noCloseBefore[kind] = stoppedAt;
                    continue;
                }

                var folded = Tokenizer.FoldSpan(text.AsSpan(contentStart, end - contentStart));
                if (folded.Length > 0)
                {
                    _quoted.Add((folded, QuoteWords(contentStart, end)));
                    if (open == '`' && close == "`")
                    {
                        _codes.Add(folded);
                    }
                }

                i = close == "'" && open == '`' ? end + 1 : end;
            }
        }

        private const int QuoteKinds = 11;

        /// <summary>
        /// Folded content words (not function words) of the tokens between two text positions, at most
        /// 64. Tokens are in text order: the first is found by binary search and quotes never overlap,
        /// so all quotes together read each token at most once (a crafted prompt of many quotes stays linear).
        /// </summary>
        private string[] QuoteWords(int start, int end)
        {
            int lo = 0, hi = tokens.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (tokens[mid].Start < start) { lo = mid + 1; }
                else { hi = mid; }
            }

            var words = new List<string>();
            for (var t = lo; t < tokens.Count && tokens[t].Start < end && words.Count < 64; t++)
            {
                var token = tokens[t];
                if (token.Folded.Length > 0 && !Lexicon.FunctionWords.Contains(token.Lower))
                {
                    words.Add(token.Folded);
                }
            }

            return [.. words];
        }

        /// <summary>Entities are equal when spelled the same with the same acronyms, in the same order.</summary>
        private sealed class EntityTermComparer : IEqualityComparer<EntityTerm>
        {
            public static readonly EntityTermComparer Instance = new();

            public bool Equals(EntityTerm x, EntityTerm y) =>
                string.Equals(x.Folded, y.Folded, StringComparison.Ordinal)
                && x.Acronyms.AsSpan().SequenceEqual(y.Acronyms);

            public int GetHashCode(EntityTerm obj)
            {
                var hash = new HashCode();
                hash.Add(obj.Folded, StringComparer.Ordinal);
                foreach (var acronym in obj.Acronyms)
                {
                    hash.Add(acronym, StringComparer.Ordinal);
                }

                return hash.ToHashCode();
            }
        }

        /// <summary>
        /// The closing quote for an opening one, or -1 with <paramref name="stoppedAt"/> the line end
        /// (or text end) where the search gave up. Whether a position closes depends only on that
        /// position and the quote kind, never on where the search began.
        /// </summary>
        private int FindClose(int from, string close, char open, out int stoppedAt)
        {
            for (var j = from; j < text.Length; j++)
            {
                if (close.Contains(text[j], StringComparison.Ordinal))
                {
                    if (open == '\'' && j + 1 < text.Length && char.IsLetterOrDigit(text[j + 1]))
                    {
                        // An apostrophe inside a word (it's, l'homme) does not close a quote.
                        continue;
                    }

                    if (open == '`' && close == "'" && !(j + 1 < text.Length && text[j + 1] == '\''))
                    {
                        continue;
                    }

                    stoppedAt = j;
                    return j;
                }

                if (text[j] == '\n')
                {
                    stoppedAt = j;
                    return -1;
                }
            }

            stoppedAt = text.Length;
            return -1;
        }

        private static uint Mix(uint hash, int occurrence, int count)
        {
            var mixed = hash ^ (0x9E3779B9u * (uint)(occurrence + 1));
            mixed = (mixed ^ (mixed >> 15)) * 0x85EBCA6Bu;
            return mixed ^ (0xC2B2AE35u * (uint)count);
        }

        private void BuildOrder(PromptAnalysis analysis)
        {
            var counts = new Dictionary<uint, int>();
            foreach (var token in tokens)
            {
                if (token.Folded.Length > 0)
                {
                    counts[token.Hash] = counts.GetValueOrDefault(token.Hash) + 1;
                }
            }

            var hashes = new List<uint>();
            var flags = new List<byte>();
            var previous = new List<uint>();
            var next = new List<uint>();
            var sentences = new List<ushort>();
            var seen = new Dictionary<uint, int>();
            var words = tokens.Where(static t => t.Folded.Length > 0).ToList();
            ushort sentence = 0;
            for (var w = 0; w < words.Count; w++)
            {
                var token = words[w];
                if (w > 0 && token.SentenceStart && sentence < ushort.MaxValue)
                {
                    sentence++;
                }

                var occurrence = seen.GetValueOrDefault(token.Hash);
                seen[token.Hash] = occurrence + 1;

                byte flag = 0;
                if (Lexicon.FunctionWords.Contains(token.Lower))
                {
                    flag |= OrderFlag.Function;
                }

                if (Lexicon.Coordinators.Contains(token.Lower))
                {
                    flag |= OrderFlag.Coordinator;
                }

                if (Lexicon.Relations.Contains(token.Lower))
                {
                    flag |= OrderFlag.Relation;
                }

                if (counts[token.Hash] > 1)
                {
                    flag |= OrderFlag.Repeated;
                }

                // A repeated word is told apart by its occurrence: the first "brown" and the second.
                // A repeated word is told apart by its occurrence and its count, so that it only
                // pairs with the word of the other prompt that has the same occurrence of the same
                // count (both "brown"s of "from brown to brown", not the "install" of a quoted
                // command with the verb "install").
                var count = counts[token.Hash];
                hashes.Add(count == 1 ? token.Hash : Mix(token.Hash, occurrence, count));
                flags.Add(flag);
                sentences.Add(sentence);
                previous.Add(w > 0 ? words[w - 1].Hash : StartOfText);
                next.Add(w + 1 < words.Count ? words[w + 1].Hash : EndOfText);
                if (hashes.Count == MaxOrderTokens)
                {
                    break;
                }
            }

            analysis.OrderHashes = [.. hashes];
            analysis.OrderFlags = [.. flags];
            analysis.OrderPrevious = [.. previous];
            analysis.OrderNext = [.. next];
            analysis.OrderSentences = [.. sentences];
            var sorted = new uint[hashes.Count];
            var positions = new ushort[hashes.Count];
            for (var p = 0; p < hashes.Count; p++)
            {
                sorted[p] = hashes[p];
                positions[p] = (ushort)p;
            }

            Array.Sort(sorted, positions);
            analysis.SortedOrderHashes = sorted;
            analysis.SortedOrderPositions = positions;
        }
    }
}
