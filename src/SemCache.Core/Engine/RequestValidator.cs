using System.Text;

namespace SemCache.Engine;

/// <summary>
/// Validation at the engine's edge. Every rule throws an <see cref="ArgumentException"/> whose
/// ParamName is the request field (e.g. <c>Scope.Model</c>) and whose message says what was wrong,
/// before anything is stored or searched. The server runs the same rules on each request field
/// before calling the engine (and maps the exception to InvalidArgument), so there is one set of
/// rules whichever <see cref="ISemanticCache"/> it hosts; only server-side limits (message size,
/// batch size, rate) live in the server. Limits that come from <see cref="SemanticCacheOptions"/>
/// are named in the message, so a caller knows which setting to raise.
/// </summary>
internal sealed class RequestValidator(SemanticCacheOptions options)
{
    public const int MaxTenantLength = 128;
    public const int MaxModelLength = 256;
    public const int MaxTools = 128;
    public const int MaxToolLength = 65_536;
    public const int MaxExtraKeys = 32;
    public const int MaxExtraLength = 1_024;
    public const int MaxTagLength = 256;
    public const int MaxContextTurns = 256;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static void Tenant(string? tenant, string field = "Tenant")
    {
        if (string.IsNullOrEmpty(tenant))
        {
            throw new ArgumentException($"{field} is required.", field);
        }

        if (tenant.Length > MaxTenantLength)
        {
            throw new ArgumentException($"{field} is {tenant.Length} characters long; at most {MaxTenantLength} are allowed.", field);
        }

        foreach (var c in tenant)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ':' or '@'))
            {
                throw new ArgumentException($"{field} may contain only ASCII letters, digits and . _ - : @ (found U+{(int)c:X4}).", field);
            }
        }
    }

    public void Scope(CacheScope? scope)
    {
        if (scope is null) { throw new ArgumentNullException("Scope", "Scope is required."); }
        Text(scope.Model, "Scope.Model", MaxModelLength, required: true);
        Text(scope.SystemPrompt, "Scope.SystemPrompt", options.MaxPromptLength * 4, required: false);
        Text(scope.SystemPromptHash, "Scope.SystemPromptHash", 256, required: false);
        if (scope.Tools is { } tools)
        {
            if (tools.Count > MaxTools) { throw new ArgumentException($"Scope.Tools has {tools.Count} tools; at most {MaxTools} are allowed.", "Scope.Tools"); }
            foreach (var t in tools) { Text(t, "Scope.Tools", MaxToolLength, required: true); }
        }

        if (scope.Sampling is { } s)
        {
            if (s.Temperature is { } temp && !(float.IsFinite(temp) && temp is >= 0 and <= 10))
            {
                throw new ArgumentOutOfRangeException("Scope.Sampling.Temperature", temp, "Scope.Sampling.Temperature must be a finite number from 0 to 10.");
            }

            if (s.TopP is { } topP && !(float.IsFinite(topP) && topP is >= 0 and <= 1))
            {
                throw new ArgumentOutOfRangeException("Scope.Sampling.TopP", topP, "Scope.Sampling.TopP must be a finite number from 0 to 1.");
            }

            if (s.TopK is < 0) { throw new ArgumentOutOfRangeException("Scope.Sampling.TopK", s.TopK, "Scope.Sampling.TopK must not be negative."); }
            if (s.MaxOutputTokens is <= 0) { throw new ArgumentOutOfRangeException("Scope.Sampling.MaxOutputTokens", s.MaxOutputTokens, "Scope.Sampling.MaxOutputTokens must be positive."); }
            Text(s.ResponseFormat, "Scope.Sampling.ResponseFormat", MaxToolLength, required: false);
        }

        if (scope.Extra is { } extra)
        {
            if (extra.Count > MaxExtraKeys) { throw new ArgumentException($"Scope.Extra has {extra.Count} keys; at most {MaxExtraKeys} are allowed.", "Scope.Extra"); }
            foreach (var (k, v) in extra)
            {
                Text(k, "Scope.Extra", MaxExtraLength, required: true);
                Text(v, "Scope.Extra", MaxExtraLength, required: false);
            }
        }
    }

    public void Prompt(string? prompt, bool required)
    {
        if (prompt is null)
        {
            if (required) { throw new ArgumentNullException("Prompt", "Prompt is required."); }
            return;
        }

        if (string.IsNullOrWhiteSpace(prompt)) { throw new ArgumentException("Prompt is empty or white space only.", "Prompt"); }
        Text(prompt, "Prompt", options.MaxPromptLength, required: true, nameof(options.MaxPromptLength));
    }

    public void Response(string? response)
    {
        if (response is null) { throw new ArgumentNullException("Response", "Response is required."); }
        Text(response, "Response", options.MaxResponseLength, required: false, nameof(options.MaxResponseLength));
    }

    public void Context(IReadOnlyList<ConversationTurn>? context)
    {
        if (context is null) { return; }
        if (context.Count > MaxContextTurns) { throw new ArgumentException($"Context has {context.Count} turns; at most {MaxContextTurns} are allowed.", "Context"); }
        foreach (var turn in context)
        {
            if (turn is null) { throw new ArgumentException("Context contains a null turn.", "Context"); }
            Text(turn.Role, "Context.Role", 64, required: true);
            Text(turn.Text, "Context.Text", options.MaxPromptLength, required: false);
        }
    }

    public void Tags(IReadOnlyList<string>? tags)
    {
        if (tags is null) { return; }
        if (tags.Count > options.MaxTags) { throw new ArgumentException($"Tags has {tags.Count} tags; the limit MaxTags is {options.MaxTags}.", "Tags"); }
        foreach (var t in tags) { Tag(t, "Tags"); }
    }

    public static void Tag(string? tag, string field)
    {
        Text(tag, field, MaxTagLength, required: true);
        foreach (var c in tag!)
        {
            if (char.IsControl(c)) { throw new ArgumentException($"{field} contains a control character (U+{(int)c:X4}).", field); }
        }
    }

    public void TimeToLive(TimeSpan? ttl)
    {
        if (ttl is not { } t) { return; }
        if (t <= TimeSpan.Zero) { throw new ArgumentOutOfRangeException("TimeToLive", t, "TimeToLive must be positive."); }
        if (t > options.MaxTimeToLive) { throw new ArgumentOutOfRangeException("TimeToLive", t, $"TimeToLive exceeds the limit MaxTimeToLive ({options.MaxTimeToLive})."); }
    }

    public static void Usage(CacheUsage? usage)
    {
        if (usage is null) { return; }
        if (usage.InputTokens < 0) { throw new ArgumentOutOfRangeException("Usage.InputTokens", usage.InputTokens, "Usage.InputTokens must not be negative."); }
        if (usage.OutputTokens < 0) { throw new ArgumentOutOfRangeException("Usage.OutputTokens", usage.OutputTokens, "Usage.OutputTokens must not be negative."); }
        if (!double.IsFinite(usage.Cost) || usage.Cost < 0) { throw new ArgumentOutOfRangeException("Usage.Cost", usage.Cost, "Usage.Cost must be a finite, non-negative number."); }
    }

    public static void LookupOptions(CacheLookupRequest request)
    {
        MinSimilarity(request.MinSimilarity);

        if (request.MaxAge is { } age && age < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException("MaxAge", age, "MaxAge must not be negative.");
        }

        if (!Enum.IsDefined(request.Mode)) { throw new ArgumentOutOfRangeException("Mode", request.Mode, "Mode is not a known lookup mode."); }
    }

    public static void MinSimilarity(float? minSimilarity)
    {
        if (minSimilarity is { } m && !(float.IsFinite(m) && m is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException("MinSimilarity", m, "MinSimilarity must be a finite number from 0 to 1.");
        }
    }

    /// <summary>
    /// Checks a vector's dimension, finiteness and length without keeping it (the server checks a
    /// request's vector before the engine copies it); returns its squared length.
    /// </summary>
    public double VectorShape<TList>(TList vector, string field = "Vector")
        where TList : IReadOnlyList<float>
    {
        ArgumentNullException.ThrowIfNull(vector);
        if (vector.Count != options.Dimensions)
        {
            throw new ArgumentException($"{field} has {vector.Count} dimensions; this cache's Dimensions is {options.Dimensions}.", field);
        }

        double sum = 0;
        for (var i = 0; i < vector.Count; i++)
        {
            var x = vector[i];
            if (!float.IsFinite(x)) { throw new ArgumentException($"{field} component {i} is {x}; every component must be finite.", field); }
            sum += (double)x * x;
        }

        // Below this the direction of the vector is numerical noise: there is nothing to compare.
        if (sum < 1e-24) { throw new ArgumentException($"{field} is a zero vector and cannot be normalised.", field); }
        return sum;
    }

    /// <summary>
    /// Checks dimension and finiteness and writes the L2-normalised vector into <paramref name="destination"/>.
    /// </summary>
    public void Vector(ReadOnlySpan<float> vector, Span<float> destination, string field = "Vector")
    {
        if (vector.Length != options.Dimensions)
        {
            throw new ArgumentException($"{field} has {vector.Length} dimensions; this cache's Dimensions is {options.Dimensions}.", field);
        }

        double sum = 0;
        for (var i = 0; i < vector.Length; i++)
        {
            var x = vector[i];
            if (!float.IsFinite(x)) { throw new ArgumentException($"{field} component {i} is {x}; every component must be finite.", field); }
            sum += (double)x * x;
        }

        // Below this the direction of the vector is numerical noise: there is nothing to compare.
        if (sum < 1e-24) { throw new ArgumentException($"{field} is a zero vector and cannot be normalised.", field); }
        var inv = (float)(1.0 / Math.Sqrt(sum));
        for (var i = 0; i < vector.Length; i++) { destination[i] = vector[i] * inv; }
    }

    private static void Text(string? value, string field, int maxLength, bool required, string? limitName = null)
    {
        if (value is null)
        {
            if (required) { throw new ArgumentNullException(field, $"{field} is required."); }
            return;
        }

        if (required && value.Length == 0) { throw new ArgumentException($"{field} is empty.", field); }
        if (value.Length > maxLength)
        {
            throw new ArgumentException(
                limitName is null
                    ? $"{field} is {value.Length} characters long; at most {maxLength} are allowed."
                    : $"{field} is {value.Length} characters long; the limit {limitName} is {maxLength}.",
                field);
        }

        try
        {
            _ = StrictUtf8.GetByteCount(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"{field} is not valid Unicode text (unpaired surrogate at index {e.Index}).", field, e);
        }
    }
}
