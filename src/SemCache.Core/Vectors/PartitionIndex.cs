namespace SemCache.Vectors;

/// <summary>A search result: the caller's key and its cosine similarity to the query.</summary>
internal readonly record struct VectorHit(long Key, float Similarity);

/// <summary>Parameters of one partition's index.</summary>
internal sealed record VectorIndexOptions
{
    public required int Dimensions { get; init; }
    public int FlatSearchLimit { get; init; } = 2048;
    public int M { get; init; } = 16;
    public int EfConstruction { get; init; } = 200;
    public int EfSearch { get; init; } = 64;
    public int Seed { get; init; } = 42;
}

/// <summary>
/// CONTRACT (owned by the Vectors work): the vector index of one partition (tenant, scope, context).
/// Thread-safe: many concurrent readers, writers serialised internally; readers are never blocked
/// for long by a writer. Vectors are L2-normalised by the caller; similarity is the dot product.
/// </summary>
internal sealed class PartitionIndex : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, float[]> _vectors = [];

    public PartitionIndex(VectorIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
    }

    public VectorIndexOptions Options { get; }

    /// <summary>Live vectors.</summary>
    public int Count
    {
        get { lock (_gate) { return _vectors.Count; } }
    }

    /// <summary>Adds or replaces the vector of <paramref name="key"/>.</summary>
    public void Add(long key, ReadOnlySpan<float> unitVector)
    {
        lock (_gate) { _vectors[key] = unitVector.ToArray(); }
    }

    /// <summary>True when the key is live in the index.</summary>
    public bool Contains(long key)
    {
        lock (_gate) { return _vectors.ContainsKey(key); }
    }

    /// <summary>The live keys (a copy).</summary>
    public long[] Keys()
    {
        lock (_gate) { return [.. _vectors.Keys]; }
    }

    /// <summary>Removes a key; false when it was not present.</summary>
    public bool Remove(long key)
    {
        lock (_gate) { return _vectors.Remove(key); }
    }

    /// <summary>Fills <paramref name="results"/> with the nearest vectors, best first; returns how many.</summary>
    public int Search(ReadOnlySpan<float> unitQuery, Span<VectorHit> results)
    {
        lock (_gate)
        {
            var count = 0;
            foreach (var (key, v) in _vectors)
            {
                var s = System.Numerics.Tensors.TensorPrimitives.Dot(unitQuery, v);
                if (count < results.Length) { results[count++] = new VectorHit(key, s); }
                else if (s > results[count - 1].Similarity) { results[count - 1] = new VectorHit(key, s); }
                else { continue; }
                for (var i = count - 1; i > 0 && results[i].Similarity > results[i - 1].Similarity; i--)
                {
                    (results[i], results[i - 1]) = (results[i - 1], results[i]);
                }
            }
            return count;
        }
    }

    /// <summary>Writes the whole index (vectors, graph) so that <see cref="ReadSnapshot"/> restores it without rebuilding.</summary>
    public void WriteSnapshot(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        lock (_gate)
        {
            w.Write(_vectors.Count);
            foreach (var (key, v) in _vectors)
            {
                w.Write(key);
                foreach (var x in v) { w.Write(x); }
            }
        }
    }

    public static PartitionIndex ReadSnapshot(Stream stream, VectorIndexOptions options)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        var index = new PartitionIndex(options);
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        var n = r.ReadInt32();
        for (var i = 0; i < n; i++)
        {
            var key = r.ReadInt64();
            var v = new float[options.Dimensions];
            for (var j = 0; j < v.Length; j++) { v[j] = r.ReadSingle(); }
            index._vectors[key] = v;
        }
        return index;
    }

    public void Dispose()
    {
    }
}
