using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;

namespace SemCache.Vectors;

/// <summary>Buffered little-endian writer that hashes everything it writes (the snapshot's trailing checksum).</summary>
internal sealed class SnapshotWriter(Stream stream)
{
    private readonly XxHash64 _hash = new();
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _used;

    public void Write<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        while (!bytes.IsEmpty)
        {
            var n = Math.Min(bytes.Length, _buffer.Length - _used);
            bytes[..n].CopyTo(_buffer.AsSpan(_used));
            _used += n;
            bytes = bytes[n..];
            if (_used == _buffer.Length)
            {
                Flush();
            }
        }
    }

    public void Write<T>(T value)
        where T : unmanaged => Write(new ReadOnlySpan<T>(in value));

    /// <summary>Writes the checksum of everything so far, unhashed, and flushes.</summary>
    public void Finish()
    {
        Flush();
        Span<byte> tail = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(tail, _hash.GetCurrentHashAsUInt64());
        stream.Write(tail);
        stream.Flush();
    }

    private void Flush()
    {
        _hash.Append(_buffer.AsSpan(0, _used));
        stream.Write(_buffer, 0, _used);
        _used = 0;
    }
}

/// <summary>Reads what <see cref="SnapshotWriter"/> wrote; truncation becomes <see cref="InvalidDataException"/>.</summary>
internal sealed class SnapshotReader(Stream stream)
{
    private readonly XxHash64 _hash = new();

    public void Read<T>(Span<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The vector index snapshot is truncated.", e);
        }

        _hash.Append(bytes);
    }

    public T Read<T>()
        where T : unmanaged
    {
        T value = default;
        Read(new Span<T>(ref value));
        return value;
    }

    /// <summary>Reads the trailing checksum and compares it with the hash of everything read.</summary>
    public void VerifyChecksum()
    {
        Span<byte> tail = stackalloc byte[sizeof(ulong)];
        try
        {
            stream.ReadExactly(tail);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The vector index snapshot is truncated.", e);
        }

        if (BinaryPrimitives.ReadUInt64LittleEndian(tail) != _hash.GetCurrentHashAsUInt64())
        {
            throw new InvalidDataException("The vector index snapshot fails its checksum.");
        }
    }
}
