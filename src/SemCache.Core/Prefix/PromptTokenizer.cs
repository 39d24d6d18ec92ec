using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace SemCache.Prefix;

/// <summary>A prompt as token ids, with its text and each token's starting character when it came from text.</summary>
internal sealed record TokenizedPrompt(int[] Tokens, string? Text, int[]? CharOffsets);

/// <summary>
/// Turns a <see cref="PrefixPrompt"/> into the token ids a backend's tokenizer gives: caller ids as they are,
/// o200k/cl100k through Microsoft.ML.Tokenizers, and UTF-8 bytes for unknown models. Chat requests are rendered
/// canonically first (tools, system, messages; JSON with sorted keys; images as digests).
/// </summary>
internal static class PromptTokenizer
{
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Tiktoken = new(StringComparer.Ordinal);

    /// <summary>Validates the prompt's shape against the limits; throws <see cref="ArgumentException"/> naming the field.</summary>
    public static void Validate(PrefixPrompt? prompt, int maxTokens, string name = "prompt")
    {
        ArgumentNullException.ThrowIfNull(prompt, name);
        var kinds = (prompt.TokenIds is not null ? 1 : 0) + (prompt.Text is not null ? 1 : 0) + (prompt.Messages is not null ? 1 : 0);
        if (kinds != 1)
        {
            throw new ArgumentException($"{name}: set exactly one of token ids, text or messages (got {kinds}).", name);
        }

        if ((prompt.System is not null || prompt.Tools is not null) && prompt.Messages is null)
        {
            throw new ArgumentException($"{name}: system and tools go with messages.", name);
        }

        if (prompt.TokenIds is { } ids)
        {
            if (ids.Count > maxTokens) { throw new ArgumentException($"{name}: {ids.Count} token ids; at most {maxTokens} are accepted.", name); }
            for (var i = 0; i < ids.Count; i++)
            {
                if (ids[i] < 0) { throw new ArgumentException($"{name}: token id {ids[i]} at {i} is negative.", name); }
            }
        }

        var chars = (long)(prompt.Text?.Length ?? 0) + (prompt.System?.Length ?? 0) + (prompt.Extras?.Length ?? 0);
        foreach (var tool in prompt.Tools ?? []) { chars += tool?.Length ?? throw new ArgumentException($"{name}: a tool is null.", name); }
        foreach (var message in prompt.Messages ?? [])
        {
            if (message is null || message.Role is null || message.Content is null) { throw new ArgumentException($"{name}: a message, its role or its content is null.", name); }
            chars += message.Role.Length + message.Content.Length;
            foreach (var digest in message.ImageDigests ?? []) { chars += digest?.Length ?? throw new ArgumentException($"{name}: an image digest is null.", name); }
        }

        if (chars > maxTokens) { throw new ArgumentException($"{name}: {chars} characters; at most {maxTokens} are accepted.", name); }
    }

    /// <summary>The canonical text of a text or chat prompt; null for token ids.</summary>
    public static string? Render(PrefixPrompt prompt)
    {
        if (prompt.Text is not null) { return prompt.Text; }
        if (prompt.Messages is null) { return null; }
        var text = new StringBuilder();
        foreach (var tool in prompt.Tools ?? [])
        {
            text.Append("<|tool|>").Append(CanonicalJson(tool)).Append('\n');
        }

        if (prompt.System is not null) { text.Append("<|system|>").Append(prompt.System).Append('\n'); }
        foreach (var message in prompt.Messages)
        {
            text.Append("<|").Append(message.Role).Append("|>").Append(message.Content);
            foreach (var digest in message.ImageDigests ?? [])
            {
                text.Append("<|image:").Append(digest).Append("|>");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Token ids of the prompt for <paramref name="tokenizer"/>; offsets only when <paramref name="withOffsets"/>.</summary>
    public static TokenizedPrompt Tokenize(PrefixPrompt prompt, string tokenizer, bool withOffsets = false)
    {
        if (prompt.TokenIds is { } ids)
        {
            return new TokenizedPrompt(ids as int[] ?? [.. ids], null, null);
        }

        var text = Render(prompt)!;
        switch (tokenizer)
        {
            case PrefixTokenizers.Caller:
                throw new ArgumentException("prompt: this backend's tokenizer is 'caller': send token ids, not text.", nameof(prompt));
            case PrefixTokenizers.Bytes:
                return Bytes(text, withOffsets);
            default:
                var model = Tiktoken.GetOrAdd(tokenizer, static id => new Lazy<Tokenizer>(() => TiktokenTokenizer.CreateForEncoding(id))).Value;
                if (!withOffsets)
                {
                    return new TokenizedPrompt([.. model.EncodeToIds(text)], text, null);
                }

                var tokens = model.EncodeToTokens(text, out _);
                var ids2 = new int[tokens.Count];
                var offsets = new int[tokens.Count];
                for (var i = 0; i < tokens.Count; i++)
                {
                    ids2[i] = tokens[i].Id;
                    offsets[i] = tokens[i].Offset.Start.GetOffset(text.Length);
                }

                return new TokenizedPrompt(ids2, text, offsets);
        }
    }

    private static TokenizedPrompt Bytes(string text, bool withOffsets)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var tokens = new int[bytes.Length];
        for (var i = 0; i < bytes.Length; i++) { tokens[i] = bytes[i]; }
        if (!withOffsets) { return new TokenizedPrompt(tokens, text, null); }

        // Each byte starts at the character that encodes it, so a difference maps back to text.
        var offsets = new int[bytes.Length];
        var b = 0;
        for (var c = 0; c < text.Length; c++)
        {
            var width = char.IsHighSurrogate(text[c]) && c + 1 < text.Length && char.IsLowSurrogate(text[c + 1])
                ? 4
                : Encoding.UTF8.GetByteCount(text.AsSpan(c, 1));
            for (var k = 0; k < width && b < offsets.Length; k++) { offsets[b++] = c; }
            if (width == 4) { c++; }
        }

        return new TokenizedPrompt(tokens, text, offsets);
    }

    /// <summary>JSON with object keys sorted ordinally and no insignificant whitespace, so equal tools render equally.</summary>
    internal static string CanonicalJson(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 64 });
            using var stream = new MemoryStream();
            using (var writer = new Utf8JsonWriter(stream))
            {
                Write(document.RootElement, writer);
            }

            return Encoding.UTF8.GetString(stream.ToArray());
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"prompt: a tool definition is not valid JSON: {e.Message}", "prompt", e);
        }
    }

    private static void Write(JsonElement element, Utf8JsonWriter writer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(property.Value, writer);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray()) { Write(item, writer); }
                writer.WriteEndArray();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
