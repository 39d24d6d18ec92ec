namespace SemCache.Vectors;

/// <summary>
/// The vectors of one index generation as a batch scorer sees them: rows of
/// <see cref="Stride"/> floats (the <see cref="Dimensions"/> of the vector, then zeros), appended
/// and never moved or rewritten for the life of the matrix; a removed row is only marked retired.
/// That is what lets a device keep a copy and bring it up to date by uploading new rows and the
/// retired marks alone. A rebuild of the index makes a new matrix.
/// </summary>
/// <remarks>
/// Rows may be appended while a scorer reads: a reader takes <see cref="RowCount"/> once and reads
/// only rows below it, which are complete.
/// </remarks>
public sealed class VectorMatrix : IDisposable
{
    private readonly HnswGraph _graph;
    private readonly bool _owned;

    internal VectorMatrix(HnswGraph graph, bool owned)
    {
        _graph = graph;
        _owned = owned;
    }

    /// <summary>Floats of a vector.</summary>
    public int Dimensions => _graph.Dimensions;

    /// <summary>Floats of a row: <see cref="Dimensions"/> rounded up to a multiple of 16, padded with zeros.</summary>
    public int Stride => _graph.Stride;

    /// <summary>Rows appended so far, retired ones included. Only grows.</summary>
    public int RowCount => _graph.NodeCount;

    /// <summary>Rows retired so far. Only grows.</summary>
    public int RetiredCount => _graph.DeletedCount;

    internal HnswGraph Graph => _graph;

    /// <summary>
    /// A matrix over a copy of <paramref name="rows"/> (row-major, <paramref name="dimensions"/>
    /// floats each, unit length): for benchmarks and tests of scorers outside the engine.
    /// </summary>
    /// <exception cref="ArgumentException">The length is not a multiple of the dimensions, or a row is not finite.</exception>
    public static VectorMatrix FromRows(ReadOnlySpan<float> rows, int dimensions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimensions, 65536);
        if (rows.Length % dimensions != 0)
        {
            throw new ArgumentException($"{rows.Length} floats are not whole rows of {dimensions}.", nameof(rows));
        }

        var count = rows.Length / dimensions;
        var graph = new HnswGraph(dimensions, m: 2, efConstruction: 1, seed: 42, initialCapacity: count);
        for (var i = 0; i < count; i++)
        {
            var row = rows.Slice(i * dimensions, dimensions);
            foreach (var x in row)
            {
                if (!float.IsFinite(x))
                {
                    graph.Dispose();
                    throw new ArgumentException($"Row {i} holds a value that is not finite.", nameof(rows));
                }
            }

            graph.Append(i, row);
        }

        return new VectorMatrix(graph, owned: true);
    }

    /// <summary>Retires a row of a matrix made by <see cref="FromRows"/> (as removing an entry does in the engine).</summary>
    /// <exception cref="InvalidOperationException">The matrix belongs to an engine index.</exception>
    public void Retire(int row)
    {
        if (!_owned)
        {
            throw new InvalidOperationException("Rows of an engine index are retired by the engine.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, RowCount);
        _graph.MarkDeleted((uint)row);
    }

    /// <summary>Appends a unit-length row to a matrix made by <see cref="FromRows"/>; returns its index.</summary>
    /// <exception cref="InvalidOperationException">The matrix belongs to an engine index.</exception>
    public int Append(ReadOnlySpan<float> row)
    {
        if (!_owned)
        {
            throw new InvalidOperationException("Rows of an engine index are appended by the engine.");
        }

        if (row.Length != Dimensions)
        {
            throw new ArgumentException($"Expected a row of {Dimensions} floats, got {row.Length}.", nameof(row));
        }

        return (int)_graph.Append(RowCount, row);
    }

    /// <summary>Copies rows <c>[firstRow, firstRow + n)</c>, <see cref="Stride"/> floats each, where n = destination.Length / Stride.</summary>
    public void CopyRows(int firstRow, Span<float> destination)
    {
        var n = destination.Length / Stride;
        CheckRange(firstRow, n);
        _graph.CopyRows(firstRow, destination[..(n * Stride)]);
    }

    /// <summary>Writes 1 for each retired row and 0 for each live one, from <paramref name="firstRow"/> on.</summary>
    public void CopyRetired(int firstRow, Span<byte> destination)
    {
        CheckRange(firstRow, destination.Length);
        _graph.CopyRetired(firstRow, destination);
    }

    /// <summary>True when the row was retired.</summary>
    public bool IsRetired(int row)
    {
        CheckRange(row, 1);
        return _graph.IsDeleted((uint)row);
    }

    /// <summary>Frees a matrix made by <see cref="FromRows"/>; a matrix of an engine index is freed with the index.</summary>
    public void Dispose()
    {
        if (_owned)
        {
            _graph.Dispose();
        }
    }

    private void CheckRange(int first, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        if ((long)first + count > RowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"Rows {first}..{(long)first + count} run past the {RowCount} rows of the matrix.");
        }
    }
}
