using BenchmarkDotNet.Attributes;
using SemCache.Vectors;

namespace SemCache.Benchmarks.Vectors;

/// <summary>Exact scan of a flat partition (the path below FlatSearchLimit).</summary>
[BenchmarkCategory("Vectors", "FlatScan")]
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class FlatScanBenchmarks
{
    private const int Dims = 384;
    private PartitionIndex _index = null!;
    private float[] _queries = [];
    private readonly VectorHit[] _hits = new VectorHit[10];
    private int _next;

    [Params(256, 2048)]
    public int Count { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var data = VectorBenchmarkData.Clustered(Count + 64, Dims, 32, seed: 1);
        _index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = int.MaxValue });
        for (var i = 0; i < Count; i++)
        {
            _index.Add(i, data.AsSpan(i * Dims, Dims));
        }

        _queries = data[(Count * Dims)..];
    }

    [GlobalCleanup]
    public void Cleanup() => _index.Dispose();

    [Benchmark]
    public int Search()
    {
        var q = _next++ & 63;
        return _index.Search(_queries.AsSpan(q * Dims, Dims), _hits);
    }
}

/// <summary>HNSW search on 50,000 clustered 384-d vectors (M=16, efConstruction=200), top 10.</summary>
[BenchmarkCategory("Vectors", "HnswSearch")]
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
public class HnswSearchBenchmarks
{
    private const int Dims = 384;
    private const int Count = 50_000;
    private PartitionIndex _index = null!;
    private float[] _queries = [];
    private readonly VectorHit[] _hits = new VectorHit[10];
    private int _next;

    [Params(16, 64, 128)]
    public int Ef { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var data = VectorBenchmarkData.Clustered(Count + 256, Dims, 500, seed: 2);
        _index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0 });
        _index.AddRange([.. Enumerable.Range(0, Count).Select(i => (long)i)], data.AsSpan(0, Count * Dims), Environment.ProcessorCount);
        _queries = data[(Count * Dims)..];
    }

    [GlobalCleanup]
    public void Cleanup() => _index.Dispose();

    [Benchmark]
    public int Search()
    {
        var q = _next++ & 255;
        return _index.Search(_queries.AsSpan(q * Dims, Dims), _hits, Ef);
    }
}

/// <summary>Single-writer inserts into a 20,000-vector HNSW graph (each invocation inserts 1,000 more).</summary>
[BenchmarkCategory("Vectors", "HnswInsert")]
[MinColumn]
[MedianColumn]
public class HnswInsertBenchmarks
{
    private const int Dims = 384;
    private const int Base = 20_000;
    private const int Batch = 1_000;
    private float[] _data = [];
    private PartitionIndex _index = null!;

    [GlobalSetup]
    public void Setup() => _data = VectorBenchmarkData.Clustered(Base + Batch, Dims, 200, seed: 3);

    [IterationSetup]
    public void BuildBase()
    {
        _index?.Dispose();
        _index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0 });
        _index.AddRange([.. Enumerable.Range(0, Base).Select(i => (long)i)], _data.AsSpan(0, Base * Dims), Environment.ProcessorCount);
    }

    [GlobalCleanup]
    public void Cleanup() => _index.Dispose();

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Insert()
    {
        for (var i = 0; i < Batch; i++)
        {
            _index.Add(Base + i, _data.AsSpan((Base + i) * Dims, Dims));
        }
    }
}

/// <summary>
/// Inserts into one 10,000-vector HNSW graph from 1 or 2 writers calling <see cref="PartitionIndex.Add"/> (each
/// invocation inserts 2,000 more, split between the writers): links run outside the index's lock, so the two
/// writers' figure over the one writer's, same run, is how far inserts into one partition scale.
/// </summary>
[BenchmarkCategory("Vectors", "HnswConcurrentInsert")]
[MinColumn]
[MedianColumn]
public class HnswConcurrentInsertBenchmarks
{
    private const int Dims = 384;
    private const int Base = 10_000;
    private const int Batch = 2_000;
    private float[] _data = [];
    private PartitionIndex _index = null!;

    [Params(1, 2)]
    public int Writers { get; set; }

    [GlobalSetup]
    public void Setup() => _data = VectorBenchmarkData.Clustered(Base + Batch, Dims, 200, seed: 3);

    [IterationSetup]
    public void BuildBase()
    {
        _index?.Dispose();
        _index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = 0 });
        _index.AddRange([.. Enumerable.Range(0, Base).Select(i => (long)i)], _data.AsSpan(0, Base * Dims), Environment.ProcessorCount);
    }

    [GlobalCleanup]
    public void Cleanup() => _index.Dispose();

    [Benchmark(OperationsPerInvoke = Batch)]
    public void Insert()
    {
        var writers = new Thread[Writers];
        for (var w = 0; w < writers.Length; w++)
        {
            var first = w;
            writers[w] = new Thread(() =>
            {
                for (var i = first; i < Batch; i += writers.Length)
                {
                    _index.Add(Base + i, _data.AsSpan((Base + i) * Dims, Dims));
                }
            });
            writers[w].Start();
        }

        foreach (var writer in writers)
        {
            writer.Join();
        }
    }
}

/// <summary>
/// The store that crosses FlatSearchLimit (2,048 by default): the 2,049th add into a flat partition. It only
/// starts the background promotion, so it should cost what any flat add costs, not a graph build.
/// </summary>
[BenchmarkCategory("Vectors", "FlatCrossing")]
[MinColumn]
[MedianColumn]
public class FlatCrossingBenchmarks
{
    private const int Dims = 384;
    private const int Limit = 2048;
    private float[] _data = [];
    private PartitionIndex _index = null!;

    [GlobalSetup]
    public void Setup() => _data = VectorBenchmarkData.Clustered(Limit + 1, Dims, 32, seed: 4);

    [IterationSetup]
    public void Fill()
    {
        _index?.Dispose();
        _index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = Limit });
        for (var i = 0; i < Limit; i++)
        {
            _index.Add(i, _data.AsSpan(i * Dims, Dims));
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _index.Dispose();

    [Benchmark]
    public void CrossingAdd() => _index.Add(Limit, _data.AsSpan(Limit * Dims, Dims));
}

/// <summary>
/// The add that doubles a flat partition's arena of N 384-d vectors, after the background preparation of the next
/// arena has finished (a stream of stores leaves it the last quarter of the fill to do so): what remains under the
/// index's lock is the copy of the links, the per-node arrays and the vectors appended since the preparation.
/// </summary>
[BenchmarkCategory("Vectors", "ArenaDoubling")]
[MinColumn]
[MedianColumn]
public class ArenaDoublingBenchmarks
{
    private const int Dims = 384;
    private readonly float[] _row = new float[Dims];
    private PartitionIndex _index = null!;

    [Params(8192, 131072)]
    public int Count { get; set; }

    [GlobalSetup]
    public void Setup() => _row[0] = 1;

    [IterationSetup]
    public void Fill()
    {
        _index?.Dispose();
        _index = new PartitionIndex(new VectorIndexOptions { Dimensions = Dims, FlatSearchLimit = int.MaxValue });
        _index.Reserve(Count);
        for (var i = 0; i < Count; i++)
        {
            _index.Add(i, _row);
        }

        while (_index.IsPreparingGrowth)
        {
            Thread.Sleep(1);
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _index.Dispose();

    [Benchmark]
    public void DoublingAdd() => _index.Add(Count, _row);
}
