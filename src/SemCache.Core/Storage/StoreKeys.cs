using System.Buffers.Binary;
using System.IO.Hashing;

namespace SemCache.Storage;

/// <summary>
/// Key and small-value layouts. The first key byte is the record kind, so entries, exact keys and
/// metadata share one FASTER store without colliding.
/// </summary>
internal static class StoreKeys
{
    public const byte EntryKind = (byte)'E';
    public const byte ExactKind = (byte)'X';
    public const byte MetaKind = (byte)'M';

    public const int ExactKeyBytes = 32;
    public const int EntryKeyLength = 1 + sizeof(long);
    public const int ExactKeyLength = 1 + ExactKeyBytes;
    public const int MetaKeyLength = 2;

    /// <summary>Id plus a CRC-32 over key and id.</summary>
    public const int IdValueLength = sizeof(long) + sizeof(uint);

    /// <summary>Metadata record: the highest entry id ever stored (survives compaction of deleted entries).</summary>
    public const byte MaxEntryIdMeta = 1;

    public static void WriteEntryKey(Span<byte> destination, long entryId)
    {
        destination[0] = EntryKind;
        BinaryPrimitives.WriteInt64LittleEndian(destination[1..], entryId);
    }

    public static void WriteExactKey(Span<byte> destination, ReadOnlySpan<byte> exactKey)
    {
        destination[0] = ExactKind;
        exactKey.CopyTo(destination[1..]);
    }

    public static void WriteMetaKey(Span<byte> destination, byte meta)
    {
        destination[0] = MetaKind;
        destination[1] = meta;
    }

    /// <summary>True when <paramref name="key"/> is an entry key; <paramref name="entryId"/> is its id.</summary>
    public static bool TryReadEntryKey(ReadOnlySpan<byte> key, out long entryId)
    {
        if (key.Length == EntryKeyLength && key[0] == EntryKind)
        {
            entryId = BinaryPrimitives.ReadInt64LittleEndian(key[1..]);
            return true;
        }

        entryId = 0;
        return false;
    }

    /// <summary>Writes an id value bound to its key by a checksum, so a value moved or torn is detected.</summary>
    public static void WriteIdValue(Span<byte> destination, ReadOnlySpan<byte> key, long id)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, id);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[sizeof(long)..], IdChecksum(key, id));
    }

    public static bool TryReadIdValue(ReadOnlySpan<byte> value, ReadOnlySpan<byte> key, out long id)
    {
        if (value.Length == IdValueLength)
        {
            id = BinaryPrimitives.ReadInt64LittleEndian(value);
            if (BinaryPrimitives.ReadUInt32LittleEndian(value[sizeof(long)..]) == IdChecksum(key, id))
                return true;
        }

        id = 0;
        return false;
    }

    private static uint IdChecksum(ReadOnlySpan<byte> key, long id)
    {
        // One stack buffer keeps the exact-key read path free of allocations (Crc32 instances are classes).
        Span<byte> buffer = stackalloc byte[ExactKeyLength + sizeof(long)];
        var length = Math.Min(key.Length, ExactKeyLength);
        key[..length].CopyTo(buffer);
        BinaryPrimitives.WriteInt64LittleEndian(buffer[length..], id);
        return Crc32.HashToUInt32(buffer[..(length + sizeof(long))]);
    }
}
