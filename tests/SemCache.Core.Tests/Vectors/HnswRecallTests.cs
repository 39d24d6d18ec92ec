using Xunit.Abstractions;

namespace SemCache.Tests.Vectors;

public sealed class HnswRecallTests(RecallFixture fixture, ITestOutputHelper output) : IClassFixture<RecallFixture>
{
    [Fact]
    public void Recall_at_10_reaches_0_95_against_brute_force_with_default_parameters()
    {
        // The gate uses ef = 32, half the default EfSearch of 64: when written the sweep measured 0.977 at ef=20,
        // 0.999 at ef=40 and 1.0 at ef=64, so a graph damaged by lost links or poor neighbour selection falls below
        // 0.95 here while a healthy one clears it with the default to spare. The sweep is printed for the record.
        foreach (var ef in new[] { 10, 20, 32, 40, 64, 128 })
        {
            output.WriteLine($"ef={ef} recall@10={fixture.Recall(ef):F4}");
        }

        Assert.True(fixture.Index.IsGraph);
        Assert.InRange(fixture.Recall(32), 0.95, 1.0);
    }

    [Fact]
    public void Raising_ef_does_not_lower_recall()
    {
        Assert.True(fixture.Recall(128) >= fixture.Recall(16) - 0.005);
    }

    [Fact]
    public void Every_indexed_vector_finds_itself_first()
    {
        var hits = new SemCache.Vectors.VectorHit[1];
        for (var i = 0; i < RecallFixture.Count; i += 97)
        {
            Assert.Equal(1, fixture.Index.Search(VectorTestData.Row(fixture.Data, RecallFixture.Dims, i), hits, 64));
            Assert.Equal(i, hits[0].Key);
            Assert.InRange(hits[0].Similarity, 0.999f, 1.001f);
        }
    }

    [Fact]
    public void Memory_per_vector_stays_close_to_the_hnswlib_layout()
    {
        // hnswlib's level-0 record at M=16, 384 dims is 4 + 32*4 + 1536 + 8 = 1,676 bytes; everything else we hold
        // (key map, upper levels, locks, flags) must stay within 10 % of that.
        var perVector = fixture.Index.MemoryBytes / (double)fixture.Index.Count;
        output.WriteLine($"bytes/vector = {perVector:F0}");
        Assert.InRange(perVector, 1676 * 0.95, 1676 * 1.10);
    }
}
