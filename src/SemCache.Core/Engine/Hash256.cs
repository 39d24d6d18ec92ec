namespace SemCache.Engine;

/// <summary>
/// A SHA-256 value held inline, so that a request's exact key costs no allocation. The four words
/// are read and written in the machine's byte order, so <see cref="CopyTo"/> gives back exactly
/// the bytes <see cref="From"/> read.
/// </summary>
internal readonly record struct Hash256(ulong A, ulong B, ulong C, ulong D)
{
    public static Hash256 From(ReadOnlySpan<byte> hash) => new(
        BitConverter.ToUInt64(hash),
        BitConverter.ToUInt64(hash[8..]),
        BitConverter.ToUInt64(hash[16..]),
        BitConverter.ToUInt64(hash[24..]));

    /// <summary>The first 16 bytes as the engine's 128-bit keys read them (see <c>SemanticCache.Key128</c>).</summary>
    public UInt128 Key128 => new(A, B);

    public void CopyTo(Span<byte> destination)
    {
        if (!BitConverter.TryWriteBytes(destination, A) || !BitConverter.TryWriteBytes(destination[8..], B)
            || !BitConverter.TryWriteBytes(destination[16..], C) || !BitConverter.TryWriteBytes(destination[24..], D))
        {
            throw new ArgumentException($"The destination must hold {ScopeKeys.HashSize} bytes.", nameof(destination));
        }
    }

    public byte[] ToArray()
    {
        var bytes = new byte[ScopeKeys.HashSize];
        CopyTo(bytes);
        return bytes;
    }
}
