using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using System.Text;

namespace SemCache.Storage;

/// <summary>
/// Binary form of a <see cref="CacheEntryRecord"/> (format 1, little endian):
/// <c>u8 format, u8 flags, i64 id, i64 created, i64 expires, i64 input tokens, i64 output tokens, f64 cost,
/// u128 partition, 32 B scope, 32 B context, 32 B exact key, str tenant, str prompt, str response,
/// i32 tag count, str tags..., [i32 answer count, str earlier answers...], [i32 dims, f32 vector...],
/// u64 XxHash3 of everything before it</c>, where the bracketed parts are present when their flag is set,
/// Format 2 is format 1 with one more optional part before the checksum, <c>[i32 label count,
/// (f32 similarity, u16 vetoes, u8 correct, f32 gap)...]</c> (error-budget labels); a record without labels is
/// still written as format 1, byte for byte as before, and labels without a re-scorer score as format 2.
/// Format 3 is format 2 whose labels also carry the re-scorer's score, <c>(f32 similarity, u16 vetoes,
/// u8 correct, f32 gap, f32 score)...</c> (NaN: none), written when any label has one. All three formats are read,
/// and <c>str</c> is an i32 byte length followed by UTF-8. The trailing checksum makes a torn or
/// corrupted value detectable, so it is never served.
/// </summary>
internal static class EntryRecordCodec
{
    public const byte FormatVersion = 1;

    /// <summary>Format of a record that carries error-budget labels.</summary>
    public const byte LabelledFormatVersion = 2;

    /// <summary>Format of a record whose labels carry the re-scorer's score.</summary>
    public const byte ScoredFormatVersion = 3;

    private const byte HasVectorFlag = 1;
    private const byte HasEarlierResponsesFlag = 2;
    private const byte HasLabelsFlag = 4;
    private const int LabelBytes = sizeof(float) + sizeof(ushort) + 1 + sizeof(float);
    private const int ScoredLabelBytes = LabelBytes + sizeof(float);

    /// <summary>Bytes one label takes in a record, at most (with a score): what the error budget charges per label.</summary>
    public const int MaxLabelBytes = ScoredLabelBytes;

    private static bool Scored(IReadOnlyList<Budget.BudgetLabel> labels)
    {
        foreach (var label in labels)
        {
            if (label.HasScore)
                return true;
        }

        return false;
    }
    private const int FingerprintBytes = 32;
    private const int ChecksumBytes = sizeof(ulong);
    private const int HeaderBytes = 2 + (6 * sizeof(long)) + 16 + (3 * FingerprintBytes);

    /// <summary>Exact encoded size of <paramref name="entry"/>.</summary>
    public static int GetEncodedLength(CacheEntryRecord entry)
    {
        long length = HeaderBytes + ChecksumBytes;
        length += sizeof(int) + Encoding.UTF8.GetByteCount(entry.Tenant);
        length += sizeof(int) + Encoding.UTF8.GetByteCount(entry.Prompt);
        length += sizeof(int) + Encoding.UTF8.GetByteCount(entry.Response);
        length += sizeof(int);
        foreach (var tag in entry.Tags)
            length += sizeof(int) + Encoding.UTF8.GetByteCount(tag);
        if (entry.EarlierResponses.Count > 0)
        {
            length += sizeof(int);
            foreach (var answer in entry.EarlierResponses)
                length += sizeof(int) + Encoding.UTF8.GetByteCount(answer);
        }

        if (entry.Vector is { } vector)
            length += sizeof(int) + (vector.Length * (long)sizeof(float));
        if (entry.Labels.Count > 0)
            length += sizeof(int) + (entry.Labels.Count * (long)(Scored(entry.Labels) ? ScoredLabelBytes : LabelBytes));
        return length > int.MaxValue / 2 ? int.MaxValue / 2 : (int)length;
    }

    /// <summary>Encodes into <paramref name="destination"/>, which must hold <see cref="GetEncodedLength"/> bytes; returns the length.</summary>
    public static int Encode(CacheEntryRecord entry, Span<byte> destination)
    {
        var w = new SpanWriter(destination);
        var labelled = entry.Labels.Count > 0;
        var scored = labelled && Scored(entry.Labels);
        w.Byte(scored ? ScoredFormatVersion : labelled ? LabelledFormatVersion : FormatVersion);
        w.Byte((byte)((entry.Vector is null ? 0 : HasVectorFlag) | (entry.EarlierResponses.Count == 0 ? 0 : HasEarlierResponsesFlag) | (labelled ? HasLabelsFlag : 0)));
        w.Int64(entry.Id);
        w.Int64(entry.CreatedUtcTicks);
        w.Int64(entry.ExpiresUtcTicks);
        w.Int64(entry.InputTokens);
        w.Int64(entry.OutputTokens);
        w.Int64(BitConverter.DoubleToInt64Bits(entry.Cost));
        w.Int64((long)(ulong)entry.PartitionKey);
        w.Int64((long)(ulong)(entry.PartitionKey >> 64));
        w.Bytes(entry.ScopeFingerprint);
        w.Bytes(entry.ContextFingerprint);
        w.Bytes(entry.ExactKey);
        w.String(entry.Tenant);
        w.String(entry.Prompt);
        w.String(entry.Response);
        w.Int32(entry.Tags.Count);
        foreach (var tag in entry.Tags)
            w.String(tag);
        if (entry.EarlierResponses.Count > 0)
        {
            w.Int32(entry.EarlierResponses.Count);
            foreach (var answer in entry.EarlierResponses)
                w.String(answer);
        }

        if (entry.Vector is { } vector)
        {
            w.Int32(vector.Length);
            w.Floats(vector);
        }

        if (labelled)
        {
            w.Int32(entry.Labels.Count);
            foreach (var label in entry.Labels)
            {
                w.Int32(BitConverter.SingleToInt32Bits(label.Similarity));
                w.UInt16(label.Vetoes);
                w.Byte(label.Correct ? (byte)1 : (byte)0);
                w.Int32(BitConverter.SingleToInt32Bits(label.Gap));
                if (scored)
                    w.Int32(BitConverter.SingleToInt32Bits(label.Score));
            }
        }

        var length = w.Position;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[length..], XxHash3.HashToUInt64(destination[..length]));
        return length + ChecksumBytes;
    }

    /// <summary>
    /// Decodes a value; false when the checksum does not match or the layout is inconsistent (the value is
    /// then corrupt and must not be served).
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, out CacheEntryRecord? entry)
    {
        entry = null;
        if (!TryParse(source, out var v))
            return false;

        var tags = v.TagCount == 0 ? [] : new string[v.TagCount];
        var r = new SpanReader(v.Tags);
        for (var i = 0; i < tags.Length; i++)
            tags[i] = r.String() ?? string.Empty;
        var vector = v.Dimensions < 0 ? null : new SpanReader(v.Vector).Floats(v.Dimensions);
        entry = new CacheEntryRecord
        {
            Id = v.Id,
            Tenant = Encoding.UTF8.GetString(v.Tenant),
            ScopeFingerprint = v.ScopeFingerprint.ToArray(),
            ContextFingerprint = v.ContextFingerprint.ToArray(),
            PartitionKey = v.PartitionKey,
            ExactKey = v.ExactKey.ToArray(),
            Prompt = Encoding.UTF8.GetString(v.Prompt),
            Response = Encoding.UTF8.GetString(v.Response),
            EarlierResponses = EarlierResponses(v),
            Tags = tags,
            CreatedUtcTicks = v.CreatedUtcTicks,
            ExpiresUtcTicks = v.ExpiresUtcTicks,
            InputTokens = v.InputTokens,
            OutputTokens = v.OutputTokens,
            Cost = v.Cost,
            Vector = vector,
            Labels = Labels(v),
        };
        return true;
    }

    /// <summary>The error-budget labels of a parsed value (none: an empty array).</summary>
    public static Budget.BudgetLabel[] Labels(in EntryView view)
    {
        if (view.LabelCount == 0)
            return [];
        var labels = new Budget.BudgetLabel[view.LabelCount];
        var size = view.LabelsScored ? ScoredLabelBytes : LabelBytes;
        for (var i = 0; i < labels.Length; i++)
        {
            var at = view.Labels[(i * size)..];
            labels[i] = new Budget.BudgetLabel(
                BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(at)),
                BinaryPrimitives.ReadUInt16LittleEndian(at[sizeof(float)..]),
                at[sizeof(float) + sizeof(ushort)] != 0,
                BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(at[(sizeof(float) + sizeof(ushort) + 1)..])),
                view.LabelsScored ? BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(at[LabelBytes..])) : float.NaN);
        }

        return labels;
    }

    /// <summary>The earlier responses of a parsed value (none: an empty array, not an allocation).</summary>
    public static string[] EarlierResponses(in EntryView view)
    {
        if (view.EarlierCount == 0)
            return [];
        var earlier = new string[view.EarlierCount];
        var r = new SpanReader(view.Earlier);
        for (var i = 0; i < earlier.Length; i++)
            earlier[i] = r.String() ?? string.Empty;
        return earlier;
    }

    /// <summary>
    /// Checks a value exactly as <see cref="TryDecode"/> does and exposes its fields as slices of it,
    /// so a reader that needs a few fields (an exact hit: keys, tenant, prompt, response) copies nothing else.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> source, out EntryView view)
    {
        view = default;
        if (source.Length < HeaderBytes + ChecksumBytes + (4 * sizeof(int)))
            return false;
        var body = source[..^ChecksumBytes];
        if (XxHash3.HashToUInt64(body) != BinaryPrimitives.ReadUInt64LittleEndian(source[^ChecksumBytes..]))
            return false;

        var r = new SpanReader(body);
        var format = r.Byte();
        if (format is not (FormatVersion or LabelledFormatVersion or ScoredFormatVersion))
            return false;
        var flags = r.Byte();
        var known = format != FormatVersion ? HasVectorFlag | HasEarlierResponsesFlag | HasLabelsFlag : HasVectorFlag | HasEarlierResponsesFlag;
        if ((flags & ~known) != 0)
            return false;
        view.Id = r.Int64();
        view.CreatedUtcTicks = r.Int64();
        view.ExpiresUtcTicks = r.Int64();
        view.InputTokens = r.Int64();
        view.OutputTokens = r.Int64();
        view.Cost = BitConverter.Int64BitsToDouble(r.Int64());
        var partitionLow = (ulong)r.Int64();
        var partitionHigh = (ulong)r.Int64();
        view.PartitionKey = new UInt128(partitionHigh, partitionLow);
        view.ScopeFingerprint = r.Slice(FingerprintBytes);
        view.ContextFingerprint = r.Slice(FingerprintBytes);
        view.ExactKey = r.Slice(FingerprintBytes);
        view.Tenant = r.StringBytes();
        view.Prompt = r.StringBytes();
        view.Response = r.StringBytes();
        var tagCount = r.Int32();
        if (!r.Ok || tagCount < 0 || tagCount > r.Remaining / sizeof(int))
            return false;
        var tagsStart = r.Position;
        for (var i = 0; i < tagCount; i++)
            r.StringBytes();
        view.TagCount = tagCount;
        view.Tags = body[tagsStart..r.Position];
        if ((flags & HasEarlierResponsesFlag) != 0)
        {
            var answerCount = r.Int32();
            if (!r.Ok || answerCount <= 0 || answerCount > r.Remaining / sizeof(int))
                return false;
            var earlierStart = r.Position;
            for (var i = 0; i < answerCount; i++)
                r.StringBytes();
            if (!r.Ok)
                return false;
            view.EarlierCount = answerCount;
            view.Earlier = body[earlierStart..r.Position];
        }

        view.Dimensions = -1;
        if ((flags & HasVectorFlag) != 0)
        {
            var dims = r.Int32();
            if (!r.Ok || dims < 0 || dims > r.Remaining / sizeof(float))
                return false;
            view.Dimensions = dims;
            view.Vector = r.Slice(dims * sizeof(float));
        }

        if ((flags & HasLabelsFlag) != 0)
        {
            var labels = r.Int32();
            var size = format == ScoredFormatVersion ? ScoredLabelBytes : LabelBytes;
            if (!r.Ok || labels <= 0 || labels > r.Remaining / size)
                return false;
            view.LabelCount = labels;
            view.LabelsScored = format == ScoredFormatVersion;
            view.Labels = r.Slice(labels * size);
        }

        return r.Ok && r.Remaining == 0;
    }

    /// <summary>True when the trailing checksum matches (the value is intact).</summary>
    public static bool HasValidChecksum(ReadOnlySpan<byte> source) =>
        source.Length > ChecksumBytes
        && XxHash3.HashToUInt64(source[..^ChecksumBytes]) == BinaryPrimitives.ReadUInt64LittleEndian(source[^ChecksumBytes..]);

    /// <summary>Reads the entry id of an encoded value without decoding it (no checksum check).</summary>
    public static bool TryPeekId(ReadOnlySpan<byte> source, out long id)
    {
        if (source.Length >= 2 + sizeof(long) && source[0] is FormatVersion or LabelledFormatVersion or ScoredFormatVersion)
        {
            id = BinaryPrimitives.ReadInt64LittleEndian(source[2..]);
            return true;
        }

        id = 0;
        return false;
    }

    /// <summary>Reads the exact key (32 bytes) of an encoded value without decoding it.</summary>
    public static bool TryPeekExactKey(ReadOnlySpan<byte> source, out ReadOnlySpan<byte> exactKey)
    {
        const int offset = 2 + (6 * sizeof(long)) + 16 + (2 * FingerprintBytes);
        if (source.Length >= offset + FingerprintBytes && source[0] is FormatVersion or LabelledFormatVersion or ScoredFormatVersion)
        {
            exactKey = source.Slice(offset, FingerprintBytes);
            return true;
        }

        exactKey = default;
        return false;
    }

    private ref struct SpanWriter(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;

        public int Position { get; private set; }

        public void Byte(byte value) => _buffer[Position++] = value;

        public void Int32(int value)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer[Position..], value);
            Position += sizeof(int);
        }

        public void UInt16(ushort value)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_buffer[Position..], value);
            Position += sizeof(ushort);
        }

        public void Int64(long value)
        {
            BinaryPrimitives.WriteInt64LittleEndian(_buffer[Position..], value);
            Position += sizeof(long);
        }

        public void Bytes(ReadOnlySpan<byte> value)
        {
            value.CopyTo(_buffer[Position..]);
            Position += value.Length;
        }

        public void String(string value)
        {
            var written = Encoding.UTF8.GetBytes(value, _buffer[(Position + sizeof(int))..]);
            BinaryPrimitives.WriteInt32LittleEndian(_buffer[Position..], written);
            Position += sizeof(int) + written;
        }

        public void Floats(ReadOnlySpan<float> values)
        {
            var destination = _buffer.Slice(Position, values.Length * sizeof(float));
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(values).CopyTo(destination);
            }
            else
            {
                for (var i = 0; i < values.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(destination[(i * sizeof(float))..], values[i]);
            }

            Position += destination.Length;
        }
    }

    /// <summary>Bounds-checked reader: a read past the end sets <see cref="Ok"/> to false instead of throwing.</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> buffer)
    {
        private readonly ReadOnlySpan<byte> _buffer = buffer;
        private int _position;

        public bool Ok { get; private set; } = true;

        public readonly int Remaining => _buffer.Length - _position;

        private bool Take(int count, out ReadOnlySpan<byte> slice)
        {
            if (!Ok || count < 0 || count > Remaining)
            {
                Ok = false;
                slice = default;
                return false;
            }

            slice = _buffer.Slice(_position, count);
            _position += count;
            return true;
        }

        public byte Byte() => Take(1, out var s) ? s[0] : (byte)0;

        public int Int32() => Take(sizeof(int), out var s) ? BinaryPrimitives.ReadInt32LittleEndian(s) : 0;

        public long Int64() => Take(sizeof(long), out var s) ? BinaryPrimitives.ReadInt64LittleEndian(s) : 0;

        public readonly int Position => _position;

        public ReadOnlySpan<byte> Slice(int count) => Take(count, out var s) ? s : default;

        public ReadOnlySpan<byte> StringBytes() => Slice(Int32());

        public string? String()
        {
            var length = Int32();
            return Take(length, out var s) ? Encoding.UTF8.GetString(s) : null;
        }

        public float[]? Floats(int count)
        {
            if (!Take(count * sizeof(float), out var s))
                return null;
            var values = new float[count];
            if (BitConverter.IsLittleEndian)
            {
                s.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            }
            else
            {
                for (var i = 0; i < count; i++)
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(s[(i * sizeof(float))..]);
            }

            return values;
        }
    }
}

/// <summary>
/// The fields of one encoded value (<see cref="EntryRecordCodec.TryParse"/>) as slices of it; texts
/// are UTF-8. Valid only while the buffer it was parsed from is.
/// </summary>
internal ref struct EntryView
{
    public long Id;
    public long CreatedUtcTicks;
    public long ExpiresUtcTicks;
    public long InputTokens;
    public long OutputTokens;
    public double Cost;
    public UInt128 PartitionKey;
    public ReadOnlySpan<byte> ScopeFingerprint;
    public ReadOnlySpan<byte> ContextFingerprint;
    public ReadOnlySpan<byte> ExactKey;
    public ReadOnlySpan<byte> Tenant;
    public ReadOnlySpan<byte> Prompt;
    public ReadOnlySpan<byte> Response;
    public int TagCount;
    public ReadOnlySpan<byte> Tags;
    public int EarlierCount;
    public ReadOnlySpan<byte> Earlier;

    /// <summary>Vector dimensions, or -1 when the value has no vector.</summary>
    public int Dimensions;
    public ReadOnlySpan<byte> Vector;

    /// <summary>Error-budget labels (format 2: eleven bytes each; format 3: fifteen, with the re-scorer's score).</summary>
    public int LabelCount;

    /// <summary>True when the labels carry the re-scorer's score (format 3).</summary>
    public bool LabelsScored;
    public ReadOnlySpan<byte> Labels;
}
