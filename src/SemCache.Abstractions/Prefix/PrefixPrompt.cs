namespace SemCache;

/// <summary>One chat message of a <see cref="PrefixPrompt"/>.</summary>
/// <param name="Role">The role (system, user, assistant, tool).</param>
/// <param name="Content">The text.</param>
/// <param name="ImageDigests">Content digests (e.g. SHA-256 hex) of attached images, rendered in place of the bytes.</param>
public sealed record PrefixMessage(string Role, string Content, IReadOnlyList<string>? ImageDigests = null);

/// <summary>
/// A prompt as the router has it: token ids (exact for self-hosted engines), plain text, or a chat request. Exactly
/// one of <see cref="TokenIds"/>, <see cref="Text"/> or <see cref="Messages"/> must be set (<see cref="System"/> and
/// <see cref="Tools"/> go with <see cref="Messages"/>). A chat request renders canonically — tools, then the system
/// prompt, then the messages, JSON with sorted keys, images as digests — so equal requests give equal tokens.
/// </summary>
public sealed record PrefixPrompt
{
    /// <summary>Token ids, as the engine will see them (chat template applied).</summary>
    public IReadOnlyList<int>? TokenIds { get; init; }

    /// <summary>Plain prompt text, tokenised with each backend's tokenizer.</summary>
    public string? Text { get; init; }

    /// <summary>Tool definitions (JSON objects as text), rendered first.</summary>
    public IReadOnlyList<string>? Tools { get; init; }

    /// <summary>The system prompt, rendered after the tools.</summary>
    public string? System { get; init; }

    /// <summary>Chat messages in order.</summary>
    public IReadOnlyList<PrefixMessage>? Messages { get; init; }

    /// <summary>
    /// Extra keys hashed into every block (vLLM's LoRA adapter or cache salt); prompts with different extras never
    /// share a block.
    /// </summary>
    public string? Extras { get; init; }

    /// <summary>A prompt of token ids.</summary>
    public static PrefixPrompt FromTokens(IReadOnlyList<int> tokenIds) => new() { TokenIds = tokenIds };

    /// <summary>A prompt of plain text.</summary>
    public static PrefixPrompt FromText(string text) => new() { Text = text };
}
