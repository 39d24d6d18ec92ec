using SemCache.Budget;
using SemCache.Storage;
using static SemCache.Tests.Storage.StorageTestSupport;

namespace SemCache.Tests.Budget;

public sealed class LabelPersistenceTests
{
    private static byte[] Encode(CacheEntryRecord entry)
    {
        var buffer = new byte[EntryRecordCodec.GetEncodedLength(entry)];
        Assert.Equal(buffer.Length, EntryRecordCodec.Encode(entry, buffer));
        return buffer;
    }

    [Fact]
    public void A_record_without_labels_is_still_written_in_format_1_so_old_readers_and_old_data_agree()
    {
        var bytes = Encode(Entry(7, vector: [0.6f, 0.8f]));
        Assert.Equal(EntryRecordCodec.FormatVersion, bytes[0]);
        Assert.True(EntryRecordCodec.TryDecode(bytes, out var decoded));
        Assert.Empty(decoded!.Labels);
        Assert.True(EntryRecordCodec.TryPeekId(bytes, out var id));
        Assert.Equal(7, id);
    }

    [Fact]
    public void Labels_round_trip_in_format_2_with_every_other_field_intact()
    {
        BudgetLabel[] labels = [new(0.93f, 0, true, 0.05f), new(0.981f, 1 << 10, false, 0f), new(0.5f, ushort.MaxValue, true, 0.1f)];
        var entry = Entry(9, prompt: "the prompt", response: "the answer", vector: [1f, 0f]).WithLabels(labels);
        var bytes = Encode(entry);
        Assert.Equal(EntryRecordCodec.LabelledFormatVersion, bytes[0]);
        Assert.True(EntryRecordCodec.TryDecode(bytes, out var decoded));
        Assert.Equal(labels, decoded!.Labels);
        Assert.Equal("the prompt", decoded.Prompt);
        Assert.Equal("the answer", decoded.Response);
        Assert.Equal([1f, 0f], decoded.Vector!);
        Assert.True(EntryRecordCodec.TryPeekId(bytes, out var id));
        Assert.Equal(9, id);
        Assert.True(EntryRecordCodec.TryPeekExactKey(bytes, out var exact));
        Assert.Equal(entry.ExactKey, exact.ToArray());
    }

    [Fact]
    public void A_labels_flag_in_a_format_1_record_or_a_torn_label_section_is_refused_as_corrupt()
    {
        var bytes = Encode(Entry(3).WithLabels([new(0.9f, 0, true, 0.01f)]));

        // Claim format 1 (which has no labels section) with the checksum fixed up: the layout is refused.
        var asFormat1 = (byte[])bytes.Clone();
        asFormat1[0] = EntryRecordCodec.FormatVersion;
        var body = asFormat1.AsSpan(0, asFormat1.Length - sizeof(ulong));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(asFormat1.AsSpan(body.Length), System.IO.Hashing.XxHash3.HashToUInt64(body));
        Assert.False(EntryRecordCodec.TryDecode(asFormat1, out _));

        // A flipped byte in the labels fails the checksum.
        var torn = (byte[])bytes.Clone();
        torn[^10] ^= 0x40;
        Assert.False(EntryRecordCodec.TryDecode(torn, out _));
    }

    [Fact]
    public void Labels_with_a_rescorer_score_round_trip_in_format_3_and_labels_without_one_stay_format_2()
    {
        BudgetLabel[] scored = [new(0.93f, 0, true, 0.05f, 0.87f), new(0.95f, 1 << 3, false, 0.01f)];
        var entry = Entry(11, prompt: "the prompt", response: "the answer", vector: [0f, 1f]).WithLabels(scored);
        var bytes = Encode(entry);
        Assert.Equal(EntryRecordCodec.ScoredFormatVersion, bytes[0]);
        Assert.True(EntryRecordCodec.TryDecode(bytes, out var decoded));
        Assert.Equal(0.87f, decoded!.Labels[0].Score);
        Assert.True(float.IsNaN(decoded.Labels[1].Score));
        Assert.Equal(scored[0], decoded.Labels[0]);
        Assert.Equal("the answer", decoded.Response);
        Assert.Equal([0f, 1f], decoded.Vector!);
        Assert.True(EntryRecordCodec.TryPeekId(bytes, out var id));
        Assert.Equal(11, id);

        // Four bytes more per label than format 2, and format 2 (no score anywhere) is unchanged and read as "no score".
        var unscored = Encode(Entry(11, prompt: "the prompt", response: "the answer", vector: [0f, 1f]).WithLabels([scored[0] with { Score = float.NaN }, scored[1]]));
        Assert.Equal(EntryRecordCodec.LabelledFormatVersion, unscored[0]);
        Assert.Equal(unscored.Length + 8, bytes.Length);
        Assert.True(EntryRecordCodec.TryDecode(unscored, out var old));
        Assert.All(old!.Labels, static l => Assert.False(l.HasScore));
    }
}
