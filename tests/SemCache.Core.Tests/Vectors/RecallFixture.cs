using SemCache.Vectors;

namespace SemCache.Tests.Vectors;

/// <summary>One 20,000 x 384 clustered index shared by the recall tests, built once (in parallel, M=16, efC=200).</summary>
public sealed class RecallFixture : IDisposable
{
    public const int Dims = 384;
    public const int Count = 20_000;
    public const int Queries = 200;

    public RecallFixture()
    {
        // 200 clusters of ~100 points: dense neighbourhoods like embeddings of one topic, fixed seeds.
        var all = VectorTestData.Clustered(Count + Queries, Dims, clusters: 200, seed: 7);
        Data = all[..(Count * Dims)];
        QueryData = all[(Count * Dims)..];
        Index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0 });
        var keys = Enumerable.Range(0, Count).Select(i => (long)i).ToArray();
        Index.AddRange(keys, Data, threads: Math.Max(2, Environment.ProcessorCount));
        Truth = new long[Queries][];
        Parallel.For(0, Queries, q => Truth[q] = VectorTestData.BruteForce(Data, Dims, VectorTestData.Row(QueryData, Dims, q), 10));
    }

    public float[] Data { get; }

    public float[] QueryData { get; }

    public long[][] Truth { get; }

    internal PartitionIndex Index { get; }

    public double Recall(int ef)
    {
        var hits = new VectorHit[10];
        var found = 0;
        for (var q = 0; q < Queries; q++)
        {
            var n = Index.Search(VectorTestData.Row(QueryData, Dims, q), hits, ef);
            var truth = Truth[q];
            for (var i = 0; i < n; i++)
            {
                if (Array.IndexOf(truth, hits[i].Key) >= 0)
                {
                    found++;
                }
            }
        }

        return found / (double)(Queries * 10);
    }

    public void Dispose() => Index.Dispose();
}
