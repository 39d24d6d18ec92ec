using System.Collections.Frozen;

namespace SemCache.Verification;

/// <summary>
/// The small word lists the rules need. Kept deliberately short and linguistically plain: a rule
/// that knows too many words starts to veto paraphrases, and a wrong veto only costs a miss while
/// the lists stay explainable.
/// </summary>
internal static class Lexicon
{
    /// <summary>
    /// Words that mark a negated clause, one marker per clause (French "pas" and not "ne", which
    /// would count "ne ... pas" twice). English contractions ending in "n't" are detected apart.
    /// "Without" is not among them: it is paraphrased freely ("without copying" / "zero-copy",
    /// "omitting"), so it only vetoes against its antonym "with".
    /// </summary>
    internal static readonly FrozenSet<string> Negations = FrozenSet.ToFrozenSet(
    [
        // English
        "not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "nowhere", "cannot",
        // French
        "pas", "jamais", "aucun", "aucune", "rien", "ni",
        // German
        "nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines", "nie", "niemals", "nichts",
        // Spanish, Portuguese, Italian
        "nunca", "ningún", "ninguna", "ninguno", "nada", "jamás", "tampoco", "não", "non", "mai",
        // Dutch
        "niet", "geen", "nooit",
        // Russian
        "не", "нет", "никогда", "ни",
        // Arabic
        "لا", "لم", "لن", "ليس", "ليست",
    ], StringComparer.Ordinal);

    /// <summary>Negation markers inside scripts written without spaces (Chinese, Japanese).</summary>
    internal static readonly string[] UnspacedNegations = ["不", "没", "沒", "别", "無", "无", "未", "ない", "ません", "なかった"];

    /// <summary>Conjunctions around which swapped words keep their meaning ("cats and dogs").</summary>
    internal static readonly FrozenSet<string> Coordinators = FrozenSet.ToFrozenSet(
    [
        "and", "or", "nor", "plus", "vs", "versus", "et", "ou", "und", "oder", "y", "o", "e", "i", "и", "или", "و", "أو",
    ], StringComparer.Ordinal);

    /// <summary>
    /// Function words: a swap of two of them ("is it" / "it is") is syntax, not a change of roles,
    /// so they never count as the swapped arguments of the order rule.
    /// </summary>
    internal static readonly FrozenSet<string> FunctionWords = FrozenSet.ToFrozenSet(
    [
        "a", "an", "the", "of", "in", "on", "at", "to", "from", "by", "for", "with", "as", "into", "onto", "about",
        "is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "has", "have", "had",
        "it", "its", "this", "that", "these", "those", "there", "here", "which", "who", "whom", "whose", "what",
        "when", "where", "why", "how", "i", "you", "he", "she", "we", "they", "me", "him", "her", "us", "them",
        "my", "your", "his", "our", "their", "and", "or", "but", "so", "if", "then", "than", "also", "too",
        "can", "could", "will", "would", "shall", "should", "may", "might", "must", "s", "very", "just",
        "all", "any", "some", "each", "both", "either", "one", "only", "own", "same", "such", "after", "before",
        "while", "during", "until", "since", "up", "down", "out", "off", "over", "under", "again", "further",
        "le", "la", "les", "l", "un", "une", "des", "du", "de", "d", "et", "est", "en", "à", "au", "aux",
        "der", "die", "das", "den", "dem", "des", "ein", "eine", "und", "ist", "im", "zu", "von", "mit",
        "el", "los", "las", "del", "es", "y", "por", "para", "con", "que",
    ], StringComparer.Ordinal);

    /// <summary>
    /// Prepositions and comparison words: the relations that arguments can be swapped around
    /// ("from A to B", "X of Y", "faster than"). Other function words (auxiliaries, articles,
    /// pronouns) sit in the same place whichever argument is the subject, so a change of voice
    /// ("X can store Y" / "Y can be stored by X") would look like a swap around them.
    /// </summary>
    internal static readonly FrozenSet<string> Relations = FrozenSet.ToFrozenSet(
    [
        "of", "in", "on", "at", "to", "from", "by", "for", "with", "into", "onto", "about", "over", "under", "after",
        "before", "than", "between", "against", "via", "per", "through", "toward", "towards", "like", "vs", "versus",
        "de", "à", "en", "pour", "par", "sur", "vers", "von", "zu", "mit", "nach", "für", "aus", "bei", "a", "para",
        "por", "con", "desde", "hasta", "в", "на", "из", "до", "от", "к", "с",
    ], StringComparer.Ordinal);

    /// <summary>English number words (not "one", which is far more often a pronoun than a count).</summary>
    internal static readonly FrozenDictionary<string, double> NumberWords = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["zero"] = 0,
        ["two"] = 2,
        ["three"] = 3,
        ["four"] = 4,
        ["five"] = 5,
        ["six"] = 6,
        ["seven"] = 7,
        ["eight"] = 8,
        ["nine"] = 9,
        ["ten"] = 10,
        ["eleven"] = 11,
        ["twelve"] = 12,
        ["thirteen"] = 13,
        ["fourteen"] = 14,
        ["fifteen"] = 15,
        ["sixteen"] = 16,
        ["seventeen"] = 17,
        ["eighteen"] = 18,
        ["nineteen"] = 19,
        ["twenty"] = 20,
        ["thirty"] = 30,
        ["forty"] = 40,
        ["fifty"] = 50,
        ["sixty"] = 60,
        ["seventy"] = 70,
        ["eighty"] = 80,
        ["ninety"] = 90,
        ["hundred"] = 100,
        ["thousand"] = 1000,
        ["million"] = 1e6,
        ["billion"] = 1e9,
        ["trillion"] = 1e12,
        ["dozen"] = 12,
        ["third"] = 3,
        ["fourth"] = 4,
        ["fifth"] = 5,
        ["sixth"] = 6,
        ["seventh"] = 7,
        ["eighth"] = 8,
        ["ninth"] = 9,
        ["tenth"] = 10,
        ["eleventh"] = 11,
        ["twelfth"] = 12,
        ["thirteenth"] = 13,
        ["fourteenth"] = 14,
        ["fifteenth"] = 15,
        ["sixteenth"] = 16,
        ["seventeenth"] = 17,
        ["eighteenth"] = 18,
        ["nineteenth"] = 19,
        ["twentieth"] = 20,
        ["twice"] = 2,
        ["thrice"] = 3,
        ["half"] = 0.5,
        ["quarter"] = 0.25,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Words that scale the number before them ("3 million").</summary>
    internal static readonly FrozenDictionary<string, double> Multipliers = new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["hundred"] = 100,
        ["thousand"] = 1000,
        ["million"] = 1e6,
        ["billion"] = 1e9,
        ["trillion"] = 1e12,
        ["k"] = 1000,
        ["m"] = 1e6,
        ["mn"] = 1e6,
        ["bn"] = 1e9,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Units after a number, mapped to one id per unit (spellings of a unit share the id).</summary>
    internal static readonly FrozenDictionary<string, byte> Units = BuildUnits();

    /// <summary>Month, weekday and relative-day words (several languages), mapped to one id per date.</summary>
    internal static readonly FrozenDictionary<string, byte> DateWords = BuildDateWords();

    /// <summary>Word forms mapped to (antonym pair id * 2 + side).</summary>
    internal static readonly FrozenDictionary<string, ushort> AntonymSides = BuildAntonyms();

    /// <summary>Auxiliary and modal verbs: after "when", "where" or "how" they mark a direct question.</summary>
    internal static readonly FrozenSet<string> Auxiliaries = FrozenSet.ToFrozenSet(
    [
        "do", "does", "did", "is", "are", "was", "were", "am", "be", "will", "would", "can", "could",
        "should", "shall", "may", "might", "must", "has", "have", "had", "don't", "doesn't", "didn't",
        "isn't", "aren't", "wasn't", "weren't", "won't", "wouldn't", "can't", "cannot", "couldn't",
        "shouldn't", "hasn't", "haven't", "hadn't", "'s", "’s",
    ], StringComparer.Ordinal);

    private static FrozenDictionary<string, byte> BuildUnits()
    {
        string[][] groups =
        [
            ["%", "percent", "per cent", "pct", "prozent", "pourcent", "por ciento"],
            ["km", "kms", "kilometer", "kilometers", "kilometre", "kilometres"],
            ["m", "meter", "meters", "metre", "metres"],
            ["cm", "centimeter", "centimeters", "centimetre", "centimetres"],
            ["mm", "millimeter", "millimeters", "millimetre", "millimetres"],
            ["mi", "mile", "miles"],
            ["ft", "foot", "feet"],
            ["in", "inch", "inches"],
            ["kg", "kgs", "kilogram", "kilograms", "kilo", "kilos"],
            ["g", "gram", "grams", "gramme", "grammes"],
            ["lb", "lbs", "pound", "pounds"],
            ["oz", "ounce", "ounces"],
            ["l", "liter", "liters", "litre", "litres"],
            ["ml", "milliliter", "milliliters", "millilitre", "millilitres"],
            ["b", "byte", "bytes"],
            ["kb", "kilobyte", "kilobytes"],
            ["mb", "megabyte", "megabytes"],
            ["gb", "gigabyte", "gigabytes"],
            ["tb", "terabyte", "terabytes"],
            ["ms", "millisecond", "milliseconds"],
            ["s", "sec", "secs", "second", "seconds"],
            ["min", "mins", "minute", "minutes"],
            ["h", "hr", "hrs", "hour", "hours"],
            ["day", "days"],
            ["week", "weeks"],
            ["month", "months"],
            ["year", "years", "yr", "yrs"],
            ["$", "usd", "dollar", "dollars"],
            ["€", "eur", "euro", "euros"],
            ["£", "gbp"],
            ["¥", "jpy", "yen", "cny", "yuan", "rmb"],
            ["°c", "celsius"],
            ["°f", "fahrenheit"],
            ["ghz"], ["mhz"], ["hz"], ["kw"], ["w", "watt", "watts"], ["v", "volt", "volts"],
            ["px", "pixel", "pixels"], ["mph"], ["kmh", "km/h"],
        ];

        var map = new Dictionary<string, byte>(StringComparer.Ordinal);
        for (var i = 0; i < groups.Length; i++)
        {
            foreach (var spelling in groups[i])
            {
                map[spelling] = (byte)(i + 1);
            }
        }

        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static FrozenDictionary<string, byte> BuildDateWords()
    {
        string[][] groups =
        [
            ["january", "jan", "janvier", "januar", "enero", "январь", "января"],
            ["february", "feb", "février", "februar", "febrero", "февраль", "февраля"],
            ["march", "mars", "märz", "marzo", "март", "марта"],
            ["april", "apr", "avril", "abril", "апрель", "апреля"],
            ["may", "mai", "mayo", "май", "мая"],
            ["june", "jun", "juin", "juni", "junio", "июнь", "июня"],
            ["july", "jul", "juillet", "juli", "julio", "июль", "июля"],
            ["august", "aug", "août", "agosto", "август", "августа"],
            ["september", "sep", "sept", "septembre", "septiembre", "сентябрь", "сентября"],
            ["october", "oct", "octobre", "oktober", "octubre", "октябрь", "октября"],
            ["november", "nov", "novembre", "noviembre", "ноябрь", "ноября"],
            ["december", "dec", "décembre", "dezember", "diciembre", "декабрь", "декабря"],
            ["monday", "lundi", "montag", "lunes", "понедельник"],
            ["tuesday", "mardi", "dienstag", "martes", "вторник"],
            ["wednesday", "mercredi", "mittwoch", "miércoles", "среда"],
            ["thursday", "jeudi", "donnerstag", "jueves", "четверг"],
            ["friday", "vendredi", "freitag", "viernes", "пятница"],
            ["saturday", "samedi", "samstag", "sábado", "суббота"],
            ["sunday", "dimanche", "sonntag", "domingo", "воскресенье"],
            ["today", "tonight", "aujourd'hui", "heute", "hoy", "сегодня", "今天", "今日"],
            ["tomorrow", "demain", "morgen", "mañana", "завтра", "明天", "明日"],
            ["yesterday", "hier", "gestern", "ayer", "вчера", "昨天", "昨日"],
        ];

        var map = new Dictionary<string, byte>(StringComparer.Ordinal);
        for (var i = 0; i < groups.Length; i++)
        {
            foreach (var spelling in groups[i])
            {
                map[spelling] = (byte)(i + 1);
            }
        }

        // "may" is far more often the modal verb than the month in prompts; "march" and "mars" are
        // also common words. Keep them only when capitalised (handled by the analyser).
        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>Date words that are also everyday words; they count only when capitalised.</summary>
    internal static readonly FrozenSet<string> AmbiguousDateWords = FrozenSet.ToFrozenSet(
        ["may", "march", "mars", "mai", "jun", "jul", "sep", "sept", "oct", "dec", "nov", "jan", "feb", "apr", "aug", "hier", "morgen"],
        StringComparer.Ordinal);

    private static FrozenDictionary<string, ushort> BuildAntonyms()
    {
        // Each pair: a key term and its opposite. Verbs and adjectives get their regular
        // inflections generated below; irregular forms are listed explicitly.
        (string[] Left, string[] Right)[] pairs =
        [
            (["with", "avec", "mit", "con", "com", "met", "مع"], ["without", "sans", "ohne", "sin", "senza", "sem", "zonder", "без", "بدون"]),
            (["before"], ["after"]),
            (["above"], ["below"]),
            (["increase"], ["decrease"]),
            (["buy", "bought"], ["sell", "sold"]),
            (["win", "won", "winner"], ["lose", "lost", "loser"]),
            (["maximum", "max", "maximize", "maximise"], ["minimum", "min", "minimize", "minimise"]),
            (["first"], ["last"]),
            (["largest", "biggest"], ["smallest"]),
            (["larger", "bigger"], ["smaller"]),
            (["highest"], ["lowest"]),
            (["higher"], ["lower"]),
            (["best"], ["worst"]),
            (["better"], ["worse"]),
            (["more"], ["less", "fewer"]),
            (["most"], ["least", "fewest"]),
            (["older", "elder"], ["younger"]),
            (["oldest", "eldest"], ["youngest"]),
            (["north", "northern"], ["south", "southern"]),
            (["east", "eastern"], ["west", "western"]),
            (["import"], ["export"]),
            (["upload"], ["download"]),
            (["enable"], ["disable"]),
            (["add"], ["remove", "delete"]),
            (["open"], ["close"]),
            (["true"], ["false"]),
            (["male"], ["female"]),
            (["left"], ["right"]),
            (["fast", "faster", "fastest"], ["slow", "slower", "slowest"]),
            (["encrypt", "encryption"], ["decrypt", "decryption"]),
            (["encode", "encoding"], ["decode", "decoding"]),
            (["compress", "compression"], ["decompress", "decompression"]),
            (["inside", "internal", "inner"], ["outside", "external", "outer"]),
            (["long", "longer", "longest"], ["short", "shorter", "shortest"]),
            (["early", "earlier", "earliest"], ["late", "later", "latest"]),
            (["positive"], ["negative"]),
            (["success", "succeed", "successful"], ["failure", "fail", "failed", "unsuccessful"]),
            (["allow"], ["deny", "forbid", "block"]),
            (["accept"], ["reject"]),
            (["push"], ["pull"]),
            (["input"], ["output"]),
            (["ascending", "asc"], ["descending", "desc"]),
            (["private"], ["public"]),
            (["read"], ["write", "wrote", "written"]),
            (["synchronous", "sync"], ["asynchronous", "async"]),
            (["lowercase"], ["uppercase"]),
            (["hot", "warm"], ["cold", "cool"]),
            (["cheap", "cheaper", "cheapest", "inexpensive"], ["expensive"]),
            (["easy", "easier", "easiest"], ["hard", "harder", "hardest", "difficult"]),
            (["light"], ["dark"]),
            (["love", "like", "likes", "liked"], ["hate", "dislike", "dislikes"]),
            (["start"], ["stop"]),
            (["include"], ["exclude"]),
            (["install"], ["uninstall"]),
            (["connect"], ["disconnect"]),
            (["lock"], ["unlock"]),
            (["login", "log in", "sign in"], ["logout", "log out", "sign out"]),
            (["arrive", "arrival"], ["depart", "departure"]),
            (["born", "birth"], ["died", "death"]),
            (["profit", "gain"], ["loss"]),
            (["rise", "rose", "risen"], ["fall", "fell", "fallen"]),
            (["up"], ["down"]),
            (["client"], ["server"]),
            (["frontend"], ["backend"]),
            (["buyer"], ["seller"]),
            (["husband"], ["wife"]),
            (["mother"], ["father"]),
            (["son"], ["daughter"]),
            (["man", "men"], ["woman", "women"]),
            (["boy"], ["girl"]),
            (["summer"], ["winter"]),
            (["morning"], ["evening"]),
            (["day"], ["night"]),
            (["add", "addition"], ["subtract", "subtraction"]),
            (["multiply", "multiplication"], ["divide", "division"]),
            (["horizontal", "horizontally"], ["vertical", "vertically"]),
            (["row"], ["column"]),
            (["width"], ["height"]),
            (["forward", "forwards"], ["backward", "backwards"]),
            (["next"], ["previous", "prev"]),
            (["odd"], ["even"]),
            (["same", "similar"], ["different"]),
            (["always"], ["never"]),
            (["legal"], ["illegal"]),
            (["valid"], ["invalid"]),
            (["possible"], ["impossible"]),
            (["gain weight", "gained weight", "put on weight"], ["lose weight", "lost weight"]),
            (["advantage", "advantages", "pros", "benefits"], ["disadvantage", "disadvantages", "cons", "drawbacks", "downsides"]),
            (["strength", "strengths"], ["weakness", "weaknesses"]),
            (["agree"], ["disagree"]),
            (["appear"], ["disappear"]),
            (["visible"], ["invisible"]),
            (["online"], ["offline"]),
            (["rich", "richer", "richest"], ["poor", "poorer", "poorest"]),
            (["brother", "brothers"], ["sister", "sisters"]),
            (["boyfriend"], ["girlfriend"]),
            (["employee", "employees"], ["employer", "employers"]),
            (["landlord"], ["tenant"]),
            (["introvert", "introverts"], ["extrovert", "extroverts"]),
            (["avant"], ["après"]),
            (["acheter"], ["vendre"]),
            (["kaufen"], ["verkaufen"]),
            (["antes"], ["después"]),
            (["comprar"], ["vender"]),
            (["mejor"], ["peor"]),
            (["meilleur"], ["pire"]),
        ];

        var map = new Dictionary<string, ushort>(StringComparer.Ordinal);
        for (var i = 0; i < pairs.Length; i++)
        {
            AddForms(map, pairs[i].Left, (ushort)(i * 2));
            AddForms(map, pairs[i].Right, (ushort)((i * 2) + 1));
        }

        return map.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static void AddForms(Dictionary<string, ushort> map, string[] words, ushort side)
    {
        foreach (var word in words)
        {
            if (word.Contains(' ', StringComparison.Ordinal))
            {
                // Multi-word forms are folded like the analyser folds adjacent tokens.
                map.TryAdd(word.Replace(" ", string.Empty, StringComparison.Ordinal), side);
                continue;
            }

            map.TryAdd(word, side);
            if (word.Length < 4)
            {
                continue;
            }

            // Regular inflections; a generated form that already belongs to another pair keeps its
            // first meaning (TryAdd).
            var stem = word.EndsWith('e') ? word[..^1] : word;
            map.TryAdd(word + "s", side);
            map.TryAdd(stem + "ed", side);
            map.TryAdd(stem + "ing", side);
            if (word.EndsWith('e'))
            {
                map.TryAdd(word + "d", side);
            }
        }
    }
}
