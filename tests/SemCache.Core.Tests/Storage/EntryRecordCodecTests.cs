using SemCache.Storage;
using static SemCache.Tests.Storage.StorageTestSupport;

namespace SemCache.Tests.Storage;

public sealed class EntryRecordCodecTests
{
    private static CacheEntryRecord RichEntry() => new()
    {
        Id = long.MaxValue - 3,
        Tenant = "tenánt-🙂",
        ScopeFingerprint = Hash("scope"),
        ContextFingerprint = Hash("context"),
        PartitionKey = UInt128.MaxValue - 12345,
        ExactKey = Hash("exact"),
        Prompt = "Flüge von New York nach Florida? 東京 \u0000 end",
        Response = "Antwort ✓ 𝄞",
        EarlierResponses = ["older ✓", string.Empty, "oldest 🙂"],
        Tags = ["a", "", "τ", "tag with spaces"],
        CreatedUtcTicks = 638_123_456_789_000_000,
        ExpiresUtcTicks = 638_999_999_999_000_000,
        InputTokens = 1234,
        OutputTokens = 98765,
        Cost = 0.1 + 0.2,
        Vector = [1f, -0f, float.Epsilon, -3.5e-8f, 0.70710677f, 1e30f, -1f],
    };

    private static byte[] Encode(CacheEntryRecord entry)
    {
        var buffer = new byte[EntryRecordCodec.GetEncodedLength(entry)];
        Assert.Equal(buffer.Length, EntryRecordCodec.Encode(entry, buffer));
        return buffer;
    }

    [Fact]
    public void Every_field_round_trips_including_unicode_and_special_floats()
    {
        var entry = RichEntry();
        Assert.True(EntryRecordCodec.TryDecode(Encode(entry), out var decoded));
        AssertSame(entry, decoded);
    }

    [Fact]
    public void Empty_tags_null_vector_and_empty_strings_round_trip()
    {
        var entry = new CacheEntryRecord
        {
            Id = 1,
            Tenant = string.Empty,
            ScopeFingerprint = new byte[32],
            ContextFingerprint = new byte[32],
            PartitionKey = 0,
            ExactKey = new byte[32],
            Prompt = string.Empty,
            Response = string.Empty,
            Tags = [],
            CreatedUtcTicks = 0,
            ExpiresUtcTicks = 0,
            Vector = null,
        };
        Assert.True(EntryRecordCodec.TryDecode(Encode(entry), out var decoded));
        AssertSame(entry, decoded);
        Assert.Empty(decoded!.Tags);
    }

    [Fact]
    public void An_empty_vector_stays_distinct_from_no_vector()
    {
        var entry = Entry(5, vector: []);
        Assert.True(EntryRecordCodec.TryDecode(Encode(entry), out var decoded));
        Assert.NotNull(decoded!.Vector);
        Assert.Empty(decoded.Vector);
    }

    [Fact]
    public void Flipping_any_single_byte_makes_the_value_fail_to_decode()
    {
        var encoded = Encode(RichEntry());
        for (var i = 0; i < encoded.Length; i++)
        {
            var corrupt = (byte[])encoded.Clone();
            corrupt[i] ^= 0x20;
            Assert.False(EntryRecordCodec.TryDecode(corrupt, out var decoded), $"byte {i} flipped was accepted");
            Assert.Null(decoded);
        }
    }

    [Fact]
    public void A_truncated_value_fails_to_decode()
    {
        var encoded = Encode(RichEntry());
        for (var length = 0; length < encoded.Length; length += 7)
            Assert.False(EntryRecordCodec.TryDecode(encoded.AsSpan(0, length), out _));
    }
}
