namespace SemCache.Verification;

/// <summary>
/// Which verifier rules run on semantic candidates, and the similarity threshold recommended when
/// they do. Every rule is on by default; each one can be switched off on its own.
/// </summary>
public sealed class VerifierOptions
{
    /// <summary>
    /// The cosine threshold measured to work best with the verifier on and the default MiniLM
    /// embedder: the rules veto the near-misses the threshold lets through, so the threshold can sit
    /// lower than a threshold that has to stand alone.
    /// </summary>
    public const float RecommendedSimilarityThreshold = 0.86f;

    /// <summary>When false every candidate is accepted (the verifier is off).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Numbers, quantities and their units must agree (<c>veto:number</c>, <c>veto:unit</c>).</summary>
    public bool Numbers { get; set; } = true;

    /// <summary>Months, weekdays and relative days (today, tomorrow) must agree (<c>veto:date</c>).</summary>
    public bool Dates { get; set; } = true;

    /// <summary>Both prompts must be negated or both not (<c>veto:negation</c>).</summary>
    public bool Negation { get; set; } = true;

    /// <summary>Named entities (capitalised names, acronyms) must agree (<c>veto:entity</c>).</summary>
    public bool Entities { get; set; } = true;

    /// <summary>Quoted strings must appear in both prompts (<c>veto:quoted</c>).</summary>
    public bool QuotedStrings { get; set; } = true;

    /// <summary>Code identifiers (camelCase, snake_case, dotted names, calls) must agree (<c>veto:code</c>).</summary>
    public bool CodeIdentifiers { get; set; } = true;

    /// <summary>Version strings and names with numbers (v1.2.3, GPT-4, python3) must agree (<c>veto:version</c>).</summary>
    public bool Versions { get; set; } = true;

    /// <summary>
    /// Two words that swap places around a third that stays between them ("from A to B" and
    /// "from B to A", "X beats Y" and "Y beats X") veto (<c>veto:order</c>).
    /// </summary>
    public bool WordOrder { get; set; } = true;

    /// <summary>One prompt holds a key term and the other only its antonym (<c>veto:antonym</c>).</summary>
    public bool Antonyms { get; set; } = true;
}
