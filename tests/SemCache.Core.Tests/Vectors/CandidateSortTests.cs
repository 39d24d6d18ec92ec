using SemCache.Vectors;

namespace SemCache.Core.Tests.Vectors;

public sealed class CandidateSortTests
{
    // Both sides of the insertion-sort limit (48), the link re-selection size at the default M (33), and the
    // trivial lengths.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(33)]
    [InlineData(48)]
    [InlineData(49)]
    [InlineData(200)]
    public void Best_first_sort_orders_by_descending_similarity_and_keeps_every_candidate(int count)
    {
        var random = new Random(count + 7);
        var candidates = new Candidate[count];
        for (var i = 0; i < count; i++)
        {
            // Few distinct values, so ties are common.
            candidates[i] = new Candidate(random.Next(-5, 6) / 5f, (uint)i);
        }

        var expected = candidates.Select(c => c.Similarity).OrderByDescending(s => s).ToArray();
        var ids = candidates.Select(c => c.Id).Order().ToArray();

        BestFirst.Sort(candidates);

        Assert.Equal(expected, candidates.Select(c => c.Similarity).ToArray());
        Assert.Equal(ids, candidates.Select(c => c.Id).Order().ToArray());
    }

    [Fact]
    public void Best_first_sort_of_a_short_span_keeps_equal_candidates_in_their_order()
    {
        Candidate[] candidates = [new(0.5f, 1), new(0.9f, 2), new(0.5f, 3), new(0.9f, 4), new(0.5f, 5)];

        BestFirst.Sort(candidates);

        Assert.Equal([2u, 4u, 1u, 3u, 5u], candidates.Select(c => c.Id).ToArray());
    }
}
