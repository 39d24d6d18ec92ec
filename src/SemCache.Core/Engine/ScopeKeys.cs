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

    /// <summary>
    /// The context fingerprint of every single-turn request, shared so that such a lookup does not
    /// allocate one. Records and partitions only ever read fingerprints, never write them.
    /// </summary>
    private static readonly byte[] NoContext = new byte[HashSize];

    /// <summary>True for the shared context fingerprint of single-turn requests.</summary>
    public static bool IsNoContext(byte[] contextFingerprint) => ReferenceEquals(contextFingerprint, NoContext);

    /// <summary>Canonical encodings up to this size are hashed from the stack; longer ones from a pooled buffer.</summary>
    private const int StackEncodingLimit = 1024;

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
        if (context is null || context.Count == 0 || window <= 0) { return NoContext; }
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
    /// <remarks>Same bytes as <see cref="CanonicalWriter"/> would write, hashed from the stack: this runs on every request.</remarks>
    public static UInt128 PartitionKey(string tenant, byte[] scopeFingerprint, byte[] contextFingerprint)
    {
        var length = 1 + StrLength(tenant) + BytesLength(scopeFingerprint) + BytesLength(contextFingerprint);
        byte[]? rented = null;
        var buffer = length <= StackEncodingLimit ? stackalloc byte[StackEncodingLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var w = new SpanWriter(buffer);
            w.Tag('p');
            w.Str(tenant);
            w.Bytes(scopeFingerprint);
            w.Bytes(contextFingerprint);
            Span<byte> h = stackalloc byte[HashSize];
            SHA256.HashData(w.Written, h);
            return new UInt128(BinaryPrimitives.ReadUInt64LittleEndian(h), BinaryPrimitives.ReadUInt64LittleEndian(h[8..]));
        }
        finally
        {
            if (rented is not null) { ArrayPool<byte>.Shared.Return(rented); }
        }
    }

    /// <summary>Exact-layer key: tenant, scope, context and normalised prompt.</summary>
    public static byte[] ExactKey(string tenant, byte[] scopeFingerprint, byte[] contextFingerprint, string normalizedPrompt) =>
        ExactHash(tenant, scopeFingerprint, contextFingerprint, normalizedPrompt).ToArray();

    /// <summary>
    /// The exact-layer key without allocating: the same SHA-256 over the same canonical bytes as the
    /// stored key (existing stores stay readable), encoded on the stack or in a pooled buffer.
    /// </summary>
    public static Hash256 ExactHash(string tenant, byte[] scopeFingerprint, byte[] contextFingerprint, string normalizedPrompt)
    {
        var length = ExactEncodingLength(tenant, scopeFingerprint, contextFingerprint, normalizedPrompt);
        byte[]? rented = null;
        var buffer = length <= StackEncodingLimit ? stackalloc byte[StackEncodingLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = EncodeExact(buffer, tenant, scopeFingerprint, contextFingerprint, normalizedPrompt);
            Span<byte> h = stackalloc byte[HashSize];
            SHA256.HashData(buffer[..written], h);
            return Hash256.From(h);
        }
        finally
        {
            if (rented is not null) { ArrayPool<byte>.Shared.Return(rented); }
        }
    }

    /// <summary>
    /// The <paramref name="cache"/>'s key for the same canonical bytes as <see cref="ExactHash"/>: a
    /// seeded XXH3-128 instead of a SHA-256, so that finding a recently seen exact key costs no
    /// cryptographic hash (the cache's answers are checked against the stored entry, see <see cref="ExactIdCache"/>).
    /// </summary>
    public static UInt128 ExactCacheKey(ExactIdCache cache, string tenant, byte[] scopeFingerprint, byte[] contextFingerprint, string normalizedPrompt)
    {
        var length = ExactEncodingLength(tenant, scopeFingerprint, contextFingerprint, normalizedPrompt);
        byte[]? rented = null;
        var buffer = length <= StackEncodingLimit ? stackalloc byte[StackEncodingLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            return cache.KeyOf(buffer[..EncodeExact(buffer, tenant, scopeFingerprint, contextFingerprint, normalizedPrompt)]);
        }
        finally
        {
            if (rented is not null) { ArrayPool<byte>.Shared.Return(rented); }
        }
    }

    private static int ExactEncodingLength(string tenant, byte[] scopeFingerprint, byte[] contextFingerprint, string normalizedPrompt) =>
        1 + StrLength(tenant) + BytesLength(scopeFingerprint) + BytesLength(contextFingerprint) + StrLength(normalizedPrompt);

    /// <summary>The exact key's canonical encoding into <paramref name="buffer"/> (sized by <see cref="ExactEncodingLength"/>); returns its length.</summary>
    private static int EncodeExact(Span<byte> buffer, string tenant, byte[] scopeFingerprint, byte[] contextFingerprint, string normalizedPrompt)
    {
        var w = new SpanWriter(buffer);
        w.Tag('e');
        w.Str(tenant);
        w.Bytes(scopeFingerprint);
        w.Bytes(contextFingerprint);
        w.Str(normalizedPrompt);
        return w.Written.Length;
    }

    private static int StrLength(string s) => sizeof(int) + Encoding.UTF8.GetByteCount(s);

    private static int BytesLength(byte[] b) => sizeof(int) + b.Length;

    /// <summary>
    /// The exact layer treats prompts that differ only in Unicode composition or in runs of white
    /// space as the same prompt. Case is kept: "US" and "us" can mean different things.
    /// </summary>
    public static string NormalizePrompt(string prompt)
    {
        var s = prompt.IsNormalized(NormalizationForm.FormC) ? prompt : prompt.Normalize(NormalizationForm.FormC);

        // Most prompts are already normal: return them as they are rather than copying them.
        if (IsCollapsed(s)) { return s; }
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

        return sb.ToString();
    }

    /// <summary>
    /// True when <paramref name="prompt"/> normalises to <paramref name="normalized"/> (itself a
    /// <see cref="NormalizePrompt"/> result). For a prompt already in composed form this compares
    /// while collapsing white space, so an exact hit does not build the stored prompt's normal form.
    /// </summary>
    public static bool NormalizesTo(string prompt, string normalized)
    {
        if (ReferenceEquals(prompt, normalized)) { return true; }
        if (!prompt.IsNormalized(NormalizationForm.FormC))
        {
            return string.Equals(NormalizePrompt(prompt), normalized, StringComparison.Ordinal);
        }

        // The same walk as NormalizePrompt, comparing instead of appending.
        var j = 0;
        var pendingSpace = false;
        foreach (var c in prompt)
        {
            if (char.IsWhiteSpace(c))
            {
                pendingSpace = j > 0;
                continue;
            }

            if (pendingSpace)
            {
                if (j >= normalized.Length || normalized[j] != ' ') { return false; }
                j++;
                pendingSpace = false;
            }

            if (j >= normalized.Length || normalized[j] != c) { return false; }
            j++;
        }

        return j == normalized.Length;
    }

    /// <summary>No leading or trailing white space, and every white space a single ' ' between non-white characters.</summary>
    private static bool IsCollapsed(string s)
    {
        var previousWhite = true;
        foreach (var c in s)
        {
            if (char.IsWhiteSpace(c))
            {
                if (c != ' ' || previousWhite) { return false; }
                previousWhite = true;
            }
            else
            {
                previousWhite = false;
            }
        }

        return !previousWhite || s.Length == 0;
    }

    /// <summary>The canonical encoding of <see cref="CanonicalWriter"/>, into a caller's buffer sized by the caller.</summary>
    private ref struct SpanWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        private int _length;

        public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

        public void Tag(char c) => _buffer[_length++] = (byte)c;

        public void Int(int v)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer[_length..], v);
            _length += sizeof(int);
        }

        public void Str(string s)
        {
            var n = Encoding.UTF8.GetBytes(s, _buffer[(_length + sizeof(int))..]);
            Int(n);
            _length += n;
        }

        public void Bytes(ReadOnlySpan<byte> b)
        {
            Int(b.Length);
            b.CopyTo(_buffer[_length..]);
            _length += b.Length;
        }
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
