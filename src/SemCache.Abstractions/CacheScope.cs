namespace SemCache;

/// <summary>
/// Everything that must match exactly before two prompts may share an answer: the model, the
/// system prompt, the tools offered and the sampling settings, plus free-form keys. Two requests
/// with different scopes never see each other's entries, however similar their prompts.
/// </summary>
public sealed record CacheScope
{
    /// <summary>Model identifier, e.g. <c>gpt-4o-2024-08-06</c>. Required.</summary>
    public required string Model { get; init; }

    /// <summary>System prompt text. Hashed, never stored in clear by the scope.</summary>
    public string? SystemPrompt { get; init; }

    /// <summary>
    /// A caller-computed hash of the system prompt, for callers that do not want to send the text.
    /// When both are given they are both part of the scope.
    /// </summary>
    public string? SystemPromptHash { get; init; }

    /// <summary>Tool definitions (names or JSON schemas). Order does not matter.</summary>
    public IReadOnlyList<string>? Tools { get; init; }

    /// <summary>Sampling settings that change the answer.</summary>
    public CacheSampling? Sampling { get; init; }

    /// <summary>Further keys that must match exactly (user id, locale, response format...).</summary>
    public IReadOnlyDictionary<string, string>? Extra { get; init; }
}

/// <summary>Sampling settings that are part of the scope.</summary>
public sealed record CacheSampling
{
    /// <summary>Temperature; above 0 several answers may be kept for one prompt.</summary>
    public float? Temperature { get; init; }

    /// <summary>Nucleus sampling mass.</summary>
    public float? TopP { get; init; }

    /// <summary>Top-k sampling.</summary>
    public int? TopK { get; init; }

    /// <summary>Maximum output tokens.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Sampling seed.</summary>
    public long? Seed { get; init; }

    /// <summary>Response format, e.g. <c>json</c> or a schema name.</summary>
    public string? ResponseFormat { get; init; }
}

/// <summary>One earlier turn of a conversation.</summary>
/// <param name="Role">The speaker, e.g. <c>user</c> or <c>assistant</c>.</param>
/// <param name="Text">What was said.</param>
public sealed record ConversationTurn(string Role, string Text);
