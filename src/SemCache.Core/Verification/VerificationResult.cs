using System.Globalization;

namespace SemCache.Verification;

/// <summary>The checks a verifier can fail; a result carries the set that vetoed a candidate.</summary>
[Flags]
internal enum VetoReasons : ushort
{
    None = 0,
    Number = 1 << 0,
    Unit = 1 << 1,
    Date = 1 << 2,
    Negation = 1 << 3,
    Entity = 1 << 4,
    Quoted = 1 << 5,
    Code = 1 << 6,
    Version = 1 << 7,
    Order = 1 << 8,
    Antonym = 1 << 9,
    NearIdentical = 1 << 10,
    Question = 1 << 11,
}

/// <summary>
/// The verdict on one candidate: accepted, or the rules that vetoed it. A value type so that
/// verifying allocates nothing; the reason strings are only built when a caller asks for them.
/// </summary>
internal readonly record struct VerificationResult(VetoReasons Vetoes, float Similarity)
{
    // One reason list per veto combination, built on first use, so that the engine can read
    // Reasons on every lookup without allocating.
    private static readonly IReadOnlyList<string>?[] ReasonLists = new IReadOnlyList<string>?[1 << 12];
    private static readonly IReadOnlyList<string> PassedList = [RulesPassed];
    /// <summary>Stable reason codes, in the order of <see cref="VetoReasons"/> bits.</summary>
    internal static readonly string[] VetoCodes =
    [
        "veto:number", "veto:unit", "veto:date", "veto:negation", "veto:entity",
        "veto:quoted", "veto:code", "veto:version", "veto:order", "veto:antonym", "veto:near-identical", "veto:question",
    ];

    /// <summary>Reason code when the verifier is switched off.</summary>
    internal const string VerifierOff = "pass:verifier-off";

    /// <summary>Reason code when every enabled rule passed.</summary>
    internal const string RulesPassed = "pass:rules";

    /// <summary>True when no rule vetoed the candidate.</summary>
    /// <summary>Rules that compare facts the prompts state, rather than how they are worded.</summary>
    internal const VetoReasons FactVetoes =
        VetoReasons.Number | VetoReasons.Unit | VetoReasons.Date | VetoReasons.Entity
        | VetoReasons.Quoted | VetoReasons.Code | VetoReasons.Version;

    public bool Accepted => Vetoes == VetoReasons.None;

    /// <summary>True when a fact rule vetoed (a number, unit, date, entity, quoted string, code identifier or version differs).</summary>
    public bool VetoedOnFacts => (Vetoes & FactVetoes) != VetoReasons.None;

    /// <summary>
    /// The reason codes without the similarity (the engine reports that itself): <c>pass:rules</c>
    /// for an accepted candidate, else one <c>veto:...</c> code per rule that vetoed it. Cached:
    /// reading it does not allocate after the first time a combination is seen.
    /// </summary>
    public IReadOnlyList<string> Reasons
    {
        get
        {
            if (Accepted)
            {
                return PassedList;
            }

            var index = (int)Vetoes & (ReasonLists.Length - 1);
            var cached = Volatile.Read(ref ReasonLists[index]);
            if (cached is null)
            {
                var list = new List<string>(2);
                AppendReasons(list);
                cached = list.AsReadOnly();
                Volatile.Write(ref ReasonLists[index], cached);
            }

            return cached;
        }
    }

    /// <summary>True when <paramref name="reason"/> is among the vetoes.</summary>
    public bool Has(VetoReasons reason) => (Vetoes & reason) != 0;

    /// <summary>
    /// Appends the reason codes: for an accepted candidate <c>similarity:0.93</c> and
    /// <c>pass:rules</c>, for a vetoed one each rule that vetoed it (<c>veto:number</c>, ...).
    /// </summary>
    public void AppendReasons(ICollection<string> reasons, bool verifierEnabled = true)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        if (Accepted)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture, $"similarity:{Similarity:0.000}"));
            reasons.Add(verifierEnabled ? RulesPassed : VerifierOff);
            return;
        }

        for (var bit = 0; bit < VetoCodes.Length; bit++)
        {
            if (((int)Vetoes & (1 << bit)) != 0)
            {
                reasons.Add(VetoCodes[bit]);
            }
        }
    }

    /// <summary>The reason codes as a new list (see <see cref="AppendReasons"/>).</summary>
    public IReadOnlyList<string> GetReasons(bool verifierEnabled = true)
    {
        var list = new List<string>(3);
        AppendReasons(list, verifierEnabled);
        return list;
    }
}
