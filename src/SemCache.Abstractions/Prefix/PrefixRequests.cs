namespace SemCache;

/// <summary>A backend the router could send a prompt to, and how busy it is.</summary>
/// <param name="BackendId">A registered backend of the tenant.</param>
/// <param name="Load">Its current load, 0 (idle) to 1 (saturated); values above 1 mean queued work.</param>
public sealed record PrefixCandidate(string BackendId, double Load = 0);

/// <summary>Asks which candidate holds the longest prefix of a prompt, and what each would cost.</summary>
public sealed record PrefixMatchRequest
{
    /// <summary>The tenant (a server takes it from the API key).</summary>
    public required string Tenant { get; init; }

    /// <summary>The prompt.</summary>
    public required PrefixPrompt Prompt { get; init; }

    /// <summary>The candidates; empty means every registered backend of the tenant.</summary>
    public IReadOnlyList<PrefixCandidate> Candidates { get; init; } = [];

    /// <summary>Model for pricing when a backend names none.</summary>
    public string? Model { get; init; }

    /// <summary>Output tokens expected, for the cost estimates. Default 0.</summary>
    public int ExpectedOutputTokens { get; init; }
}

/// <summary>What one candidate would reuse and cost.</summary>
public sealed record PrefixBackendMatch
{
    /// <summary>The backend.</summary>
    public required string BackendId { get; init; }

    /// <summary>False when the candidate is not registered: it is then reported with nothing matched.</summary>
    public bool Known { get; init; }

    /// <summary>Prompt length in the backend's tokens.</summary>
    public int PromptTokens { get; init; }

    /// <summary>Tokens of the prompt's longest prefix the backend holds (whole blocks).</summary>
    public int MatchedTokens { get; init; }

    /// <summary>Tokens expected to be read from the cache under the backend's rules (minimum, steps).</summary>
    public int ExpectedCachedTokens { get; init; }

    /// <summary>The candidate's load as given.</summary>
    public double Load { get; init; }

    /// <summary>Routing cost, lower is better: uncached share of the prompt × overlap weight + load.</summary>
    public double Score { get; init; }

    /// <summary>Estimated cost of the request without any prompt cache; null when the model has no price.</summary>
    public double? CostWithoutCache { get; init; }

    /// <summary>Estimated cost with the expected cached tokens; null when the model has no price.</summary>
    public double? CostWithCache { get; init; }

    /// <summary>Currency of the costs; null when unpriced.</summary>
    public string? Currency { get; init; }
}

/// <summary>The answer to a <see cref="PrefixMatchRequest"/>.</summary>
public sealed record PrefixMatchResult
{
    /// <summary>One row per candidate, in the order asked.</summary>
    public required IReadOnlyList<PrefixBackendMatch> Backends { get; init; }

    /// <summary>The known candidate with the lowest score; null when none is registered.</summary>
    public string? RecommendedBackend { get; init; }

    /// <summary>The recommended backend's estimated saving (cost without cache − with); null when unpriced or none.</summary>
    public double? EstimatedSaving { get; init; }
}

/// <summary>Asks why a prompt misses the prefix cache.</summary>
public sealed record PrefixExplainRequest
{
    /// <summary>The tenant (a server takes it from the API key).</summary>
    public required string Tenant { get; init; }

    /// <summary>The prompt.</summary>
    public required PrefixPrompt Prompt { get; init; }

    /// <summary>Compare only with prompts routed to this backend; null for any backend of the tenant.</summary>
    public string? BackendId { get; init; }
}

/// <summary>Where a prompt first differs from the best-matching prompt routed before.</summary>
public sealed record PrefixExplanation
{
    /// <summary>Whether a previously routed prompt was found to compare with.</summary>
    public bool Found { get; init; }

    /// <summary>The backend the compared prompt went to.</summary>
    public string? BackendId { get; init; }

    /// <summary>Prompt length in tokens (the compared backend's tokenizer).</summary>
    public int PromptTokens { get; init; }

    /// <summary>Tokens of whole blocks shared with the previous prompt.</summary>
    public int MatchedTokens { get; init; }

    /// <summary>Index of the first block that differs; −1 when the prompt is a prefix of (or equal to) the previous one.</summary>
    public int DivergingBlock { get; init; } = -1;

    /// <summary>Index of the first token that differs; −1 when none differs.</summary>
    public int DivergingToken { get; init; } = -1;

    /// <summary>Character offset of the first difference in the prompt's text; −1 when unknown (token-id prompts) or none.</summary>
    public int CharOffset { get; init; } = -1;

    /// <summary>The previous prompt's text around the difference.</summary>
    public string? PreviousText { get; init; }

    /// <summary>This prompt's text around the difference.</summary>
    public string? CurrentText { get; init; }

    /// <summary>One sentence for people.</summary>
    public required string Summary { get; init; }
}

/// <summary>Reports that a prompt was sent to a backend.</summary>
public sealed record PrefixUsageReport
{
    /// <summary>The tenant (a server takes it from the API key).</summary>
    public required string Tenant { get; init; }

    /// <summary>The backend the prompt was sent to.</summary>
    public required string BackendId { get; init; }

    /// <summary>The prompt sent.</summary>
    public required PrefixPrompt Prompt { get; init; }

    /// <summary>Cached input tokens the provider reported in its usage (e.g. <c>cached_tokens</c>); null when unknown.</summary>
    public long? CachedTokensReported { get; init; }
}

/// <summary>Predicted against reported cached tokens of one request.</summary>
/// <param name="PromptTokens">Prompt length in the backend's tokens.</param>
/// <param name="PredictedCachedTokens">What SemCache expected to be read from the cache before the request.</param>
/// <param name="ReportedCachedTokens">What the provider reported, or null.</param>
public sealed record PrefixUsageResult(int PromptTokens, int PredictedCachedTokens, long? ReportedCachedTokens);
