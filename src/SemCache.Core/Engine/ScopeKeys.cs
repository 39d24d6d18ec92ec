using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SemCache.Engine;

/// <summary>
/// The keys that decide what may match what: the scope fingerprint, the conversation-context
/// fingerprint, the partition key and the exact-layer key. All are SHA-256 over a canonical,
/// length-prefixed encoding, so no two different inputs can be made to encode alike and a
/// collision would need a SHA-256 collision.
/// </summary>
internal static class ScopeKeys
{
    public const int HashSize = 32;

    /// <summary>Fingerprint of everything in the scope. Tool order and extra-key order do not matter.</summary>
    public static byte[] ScopeFingerprint(CacheScope scope)
    {
        var w = new CanonicalWriter();
        w.Tag('M').Str(scope.Model);
        w.Tag('S').OptStr(scope.SystemPrompt);
        w.Tag('H').OptStr(scope.SystemPromptHash);
        w.Tag('T');
        if (scope.Tools is { Count: > 0 } tools)
        {
            var sorted = tools.ToArray();
            Array.Sort(sorted, StringComparer.Ordinal);
            w.Int(sorted.Length);
            foreach (var t in sorted) { w.Str(t); }
        }
        else
        {
            w.Int(0);
        }

        w.Tag('P');
        if (scope.Sampling is { } s)
        {
            w.Int(1).OptFloat(s.Temperature).OptFloat(s.TopP).OptLong(s.TopK).OptLong(s.MaxOutputTokens).OptLong(s.Seed).OptStr(s.ResponseFormat);
        }
        else
        {
            w.Int(0);
        }

        w.Tag('X');
        if (scope.Extra is { Count: > 0 } extra)
        {
            var keys = extra.Keys.ToArray();
            Array.Sort(keys, StringComparer.Ordinal);
            w.Int(keys.Length);
            foreach (var k in keys) { w.Str(k).Str(extra[k]); }
        }
        else
        {
            w.Int(0);
        }

        return w.Hash();
    }

    /// <summary>
    /// Fingerprint of the last <paramref name="window"/> earlier turns; all zero without context,
    /// so single-turn requests share one partition per scope.
    /// </summary>
    public static byte[] ContextFingerprint(IReadOnlyList<ConversationTurn>? context, int window)
    {
        if (context is null || context.Count == 0 || window <= 0) { return new byte[HashSize]; }
        var w = new CanonicalWriter();
        var start = Math.Max(0, context.Count - window);
        w.Int(context.Count - start);
        for (var i = start; i < context.Count; i++)
        {
            w.Str(context[i].Role.ToLowerInvariant()).Str(NormalizePrompt(context[i].Text));
        }

        return w.Hash();
    }

    /// <summary>The partition (tenant, scope, context) as a 128-bit key.</summary>
    public static UInt128 PartitionKey(string tenant, byte[] scopeFingerprint, byte[] contextFingerprint)
    {
        var w = new CanonicalWriter();
        w.Tag('p').Str(tenant).Bytes(scopeFingerprint).Bytes(contextFingerprint);
        var h = w.Hash();
        return new UInt128(BinaryPrimitives.ReadUInt64LittleEndian(h), BinaryPrimitives.ReadUInt64LittleEndian(h.AsSpan(8)));
    }

    /// <summary>Exact-layer key: tenant, scope, context and normalised prompt.</summary>
    public static byte[] ExactKey(string tenant, byte[] scopeFingerprint, byte[] contextFingerprint, string normalizedPrompt)
    {
        var w = new CanonicalWriter();
        w.Tag('e').Str(tenant).Bytes(scopeFingerprint).Bytes(contextFingerprint).Str(normalizedPrompt);
        return w.Hash();
    }

    /// <summary>
    /// The exact layer treats prompts that differ only in Unicode composition or in runs of white
    /// space as the same prompt. Case is kept: "US" and "us" can mean different things.
    /// </summary>
    public static string NormalizePrompt(string prompt)
    {
        var s = prompt.IsNormalized(NormalizationForm.FormC) ? prompt : prompt.Normalize(NormalizationForm.FormC);
        var sb = new StringBuilder(s.Length);
        var pendingSpace = false;
        foreach (var c in s)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }

            if (pendingSpace) { sb.Append(' '); pendingSpace = false; }
            sb.Append(c);
        }

        return sb.Length == s.Length && string.Equals(sb.ToString(), s, StringComparison.Ordinal) ? s : sb.ToString();
    }

    private sealed class CanonicalWriter
    {
        private readonly ArrayBufferWriter<byte> _buffer = new(256);

        public CanonicalWriter Tag(char c)
        {
            _buffer.GetSpan(1)[0] = (byte)c;
            _buffer.Advance(1);
            return this;
        }

        public CanonicalWriter Int(int v)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.GetSpan(4), v);
            _buffer.Advance(4);
            return this;
        }

        public CanonicalWriter Str(string s)
        {
            var n = Encoding.UTF8.GetByteCount(s);
            Int(n);
            Encoding.UTF8.GetBytes(s, _buffer.GetSpan(n));
            _buffer.Advance(n);
            return this;
        }

        public CanonicalWriter OptStr(string? s) => s is null ? Int(-1) : Str(s);

        public CanonicalWriter OptFloat(float? f) =>
            f is { } v ? Str(v.ToString("R", CultureInfo.InvariantCulture)) : Int(-1);

        public CanonicalWriter OptLong(long? l) =>
            l is { } v ? Str(v.ToString(CultureInfo.InvariantCulture)) : Int(-1);

        public CanonicalWriter Bytes(ReadOnlySpan<byte> b)
        {
            Int(b.Length);
            b.CopyTo(_buffer.GetSpan(b.Length));
            _buffer.Advance(b.Length);
            return this;
        }

        public byte[] Hash() => SHA256.HashData(_buffer.WrittenSpan);
    }
}
