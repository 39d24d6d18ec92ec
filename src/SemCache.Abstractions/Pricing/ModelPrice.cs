namespace SemCache;

/// <summary>What one model costs, per million tokens, in the table's currency.</summary>
public sealed record ModelPrice
{
    /// <summary>The model id the price is listed under (e.g. <c>gpt-4o</c>).</summary>
    public required string Model { get; init; }

    /// <summary>Price of a million prompt (input) tokens that were not read from a prompt cache.</summary>
    public required double InputPerMillion { get; init; }

    /// <summary>Price of a million completion (output) tokens.</summary>
    public required double OutputPerMillion { get; init; }

    /// <summary>Price of a million input tokens read from the provider's prompt cache; the input price when the provider has none.</summary>
    public required double CachedInputPerMillion { get; init; }

    /// <summary>Price of a million input tokens written to the provider's prompt cache; the input price when writes cost nothing extra.</summary>
    public required double CacheWritePerMillion { get; init; }

    /// <summary>Currency of every price in the table (ISO 4217, e.g. <c>USD</c>).</summary>
    public required string Currency { get; init; }

    /// <summary>
    /// The cost of one call. <paramref name="cachedInputTokens"/> and <paramref name="cacheWriteTokens"/> are parts of
    /// <paramref name="inputTokens"/> (as providers report them), billed at their own prices instead of the input price.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative, or the cached and written parts exceed the input tokens.</exception>
    public double CostOf(long inputTokens, long outputTokens, long cachedInputTokens = 0, long cacheWriteTokens = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(inputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(outputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(cachedInputTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheWriteTokens);
        if (cachedInputTokens + cacheWriteTokens > inputTokens)
        {
            throw new ArgumentOutOfRangeException(
                nameof(cachedInputTokens), $"Cached ({cachedInputTokens}) and written ({cacheWriteTokens}) input tokens are parts of the {inputTokens} input tokens and cannot exceed them.");
        }

        var plainInput = inputTokens - cachedInputTokens - cacheWriteTokens;
        return ((plainInput * InputPerMillion) + (cachedInputTokens * CachedInputPerMillion) + (cacheWriteTokens * CacheWritePerMillion)
            + (outputTokens * OutputPerMillion)) / 1_000_000d;
    }
}
