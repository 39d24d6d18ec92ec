namespace SemCache;

/// <summary>How a backend's cache is learned.</summary>
public enum PrefixBackendKind
{
    /// <summary>A self-hosted engine replica (vLLM, SGLang, TensorRT-LLM) that streams KV events; holdings are exact.</summary>
    Engine = 0,

    /// <summary>A provider endpoint (OpenAI, Anthropic, Gemini): holdings are modelled from routing history under <see cref="PrefixBackend.Rules"/>.</summary>
    Provider = 1,
}

/// <summary>The tokenizer ids a backend may declare.</summary>
public static class PrefixTokenizers
{
    /// <summary>OpenAI o200k_base (gpt-4o, o-series), through Microsoft.ML.Tokenizers.</summary>
    public const string O200kBase = "o200k_base";

    /// <summary>OpenAI cl100k_base (gpt-4, gpt-3.5), through Microsoft.ML.Tokenizers.</summary>
    public const string Cl100kBase = "cl100k_base";

    /// <summary>
    /// For models without a known tokenizer: every UTF-8 byte of the canonical rendering is one "token", so blocks
    /// are fixed-size byte chunks. Matches are exact on bytes; token counts are bytes, an over-estimate.
    /// </summary>
    public const string Bytes = "bytes";

    /// <summary>The caller always sends token ids (self-hosted engines, whose chat template the router applies).</summary>
    public const string Caller = "caller";

    /// <summary>Whether <paramref name="id"/> is one of the ids above.</summary>
    public static bool IsKnown(string? id) => id is O200kBase or Cl100kBase or Bytes or Caller;
}

/// <summary>
/// What a provider will have cached after a request (OpenAI: at least 1,024 tokens, in 128-token steps, minutes of
/// life refreshed by use; Anthropic: 1,024–4,096 tokens by model, 5 min or 1 h TTL, writes billed extra).
/// </summary>
public sealed record PrefixCacheRules
{
    /// <summary>Rules of an engine that keeps every block until evicted.</summary>
    public static PrefixCacheRules Engine { get; } = new();

    /// <summary>A prompt shorter than this caches nothing, and a match shorter than this reads nothing. Default 0.</summary>
    public int MinCachedTokens { get; init; }

    /// <summary>Cached lengths are multiples of this many tokens. Default 1 (any length).</summary>
    public int StepTokens { get; init; } = 1;

    /// <summary>How long a cached prefix lives after its last use; null for no expiry (engines evict by LRU only).</summary>
    public TimeSpan? TimeToLive { get; init; }

    /// <summary>Whether a hit extends the life of the prefix it read (true for OpenAI and Anthropic). Default true.</summary>
    public bool RefreshOnHit { get; init; } = true;

    /// <summary>Whether the uncached, cacheable part of a request is billed as a cache write (Anthropic breakpoints). Default false.</summary>
    public bool BillsCacheWrites { get; init; }
}

/// <summary>An engine replica or provider endpoint whose prompt cache SemCache tracks.</summary>
public sealed record PrefixBackend
{
    /// <summary>The most characters of <see cref="Id"/> and <see cref="Model"/>.</summary>
    public const int MaxIdLength = 256;

    /// <summary>The backend's id, unique within its tenant (e.g. <c>vllm-0</c>, <c>openai-east</c>).</summary>
    public required string Id { get; init; }

    /// <summary>Engine (KV events) or provider (routing history).</summary>
    public PrefixBackendKind Kind { get; init; }

    /// <summary>One of <see cref="PrefixTokenizers"/>. Default <see cref="PrefixTokenizers.O200kBase"/>.</summary>
    public string Tokenizer { get; init; } = PrefixTokenizers.O200kBase;

    /// <summary>Tokens per block: 16 for engines (vLLM's default), 128 for providers that cache in 128-token steps.</summary>
    public int BlockSize { get; init; } = 16;

    /// <summary>Model id, for the pricing table (e.g. <c>gpt-4o</c>); null when cost is not wanted.</summary>
    public string? Model { get; init; }

    /// <summary>What the backend keeps cached. Default <see cref="PrefixCacheRules.Engine"/>.</summary>
    public PrefixCacheRules Rules { get; init; } = PrefixCacheRules.Engine;
}
