namespace SemCache.Vectors;

internal sealed unsafe partial class HnswGraph
{
    private const uint SnapshotMagic = 0x49564353; // "SCVI"
    private const int SnapshotVersion = 1;

    /// <summary>
    /// Writes the graph: a header, then per node its key, level, tombstone flag, vector and link records, then an
    /// XxHash64 of all of it. Writer only (no appends meanwhile); readers may search. Waits until every node
    /// appended while linking has been linked by its writer, then holds linkers off while it writes, so the links
    /// written are those of a finished graph. A graph that searches still scan (never linked, or promotion still in
    /// the background) is written with empty link records: it is restored flat and promoted again, rather than
    /// with half of its links.
    /// </summary>
    public void WriteSnapshot(Stream stream)
    {
        var spinner = default(SpinWait);
        while (PendingLinks > 0)
        {
            spinner.SpinOnce();
        }

        _arenaGate.EnterExclusive();
        try
        {
            WriteSnapshotCore(stream);
        }
        finally
        {
            _arenaGate.ExitExclusive();
        }
    }

    private void WriteSnapshotCore(Stream stream)
    {
        var arena = _arena;
        var count = _count;
        var linked = _linked;
        var w = new SnapshotWriter(stream);
        w.Write(SnapshotMagic);
        w.Write(SnapshotVersion);
        w.Write(_dimensions);
        w.Write(_m);
        w.Write(count);
        w.Write(_deleted);
        w.Write((byte)(linked ? 1 : 0));
        w.Write(linked ? _entry : NoEntry);
        uint[] noLinks = linked ? [] : new uint[Math.Max(arena.LinkStride, MaxLevel * _upperRecord)];
        for (var i = 0; i < count; i++)
        {
            var id = (uint)i;
            w.Write(arena.Keys[i]);
            w.Write(arena.Levels[i]);
            w.Write(arena.Deleted[i]);
            w.Write(new ReadOnlySpan<float>(arena.Vector(id), _dimensions));
            if (linked)
            {
                w.Write(new ReadOnlySpan<uint>(arena.Level0(id), arena.LinkStride));
                if (arena.Upper[i] is { } upper)
                {
                    w.Write<uint>(upper);
                }
            }
            else
            {
                w.Write<uint>(noLinks.AsSpan(0, arena.LinkStride));
                if (arena.Upper[i] is { } upper)
                {
                    w.Write<uint>(noLinks.AsSpan(0, upper.Length));
                }
            }
        }

        w.Finish();
    }

    /// <summary>
    /// Reads a snapshot written by <see cref="WriteSnapshot"/>. Every count, level and link id is range-checked and
    /// the checksum verified, so damaged input raises <see cref="InvalidDataException"/> rather than corrupting memory.
    /// </summary>
    public static HnswGraph ReadSnapshot(Stream stream, int dimensions, int m, int efConstruction, int seed, ArenaLedger? ledger = null)
    {
        var r = new SnapshotReader(stream);
        if (r.Read<uint>() != SnapshotMagic)
        {
            throw new InvalidDataException("Not a SemCache vector index snapshot.");
        }

        var version = r.Read<int>();
        if (version != SnapshotVersion)
        {
            throw new InvalidDataException($"Unsupported vector index snapshot version {version}.");
        }

        var storedDimensions = r.Read<int>();
        var storedM = r.Read<int>();
        if (storedDimensions != dimensions || storedM != m)
        {
            throw new InvalidDataException(
                $"The snapshot was written with {storedDimensions} dimensions and M={storedM}; the index expects {dimensions} and M={m}.");
        }

        var count = r.Read<int>();
        var deleted = r.Read<int>();
        var linked = r.Read<byte>();
        var entry = r.Read<long>();
        if (count is < 0 or >= int.MaxValue - 1 || deleted < 0 || deleted > count || linked > 1)
        {
            throw new InvalidDataException("The vector index snapshot header is out of range.");
        }

        // Grow while reading rather than trusting the count for one allocation: a damaged count must not exhaust memory.
        var graph = new HnswGraph(dimensions, m, efConstruction, seed, Math.Min(count, 4096), ledger);
        try
        {
            graph.ReadNodes(r, count, deleted);
            if (entry != NoEntry)
            {
                var entryId = (uint)entry;
                var entryLevel = entry >> 32;
                if (entryId >= (uint)count || entryLevel != graph._arena.Levels[entryId])
                {
                    throw new InvalidDataException("The vector index snapshot's entry point is out of range.");
                }
            }

            r.VerifyChecksum();
            graph._entry = entry;
            graph._linking = linked == 1;
            graph._linked = linked == 1;
            return graph;
        }
        catch
        {
            graph.Dispose();
            throw;
        }
    }

    private void ReadNodes(SnapshotReader r, int count, int expectedDeleted)
    {
        var deleted = 0;
        for (var i = 0; i < count; i++)
        {
            if (i == _arena.Capacity)
            {
                Reserve((int)Math.Min((long)count, 2L * _arena.Capacity));
            }

            var arena = _arena;
            var id = (uint)i;
            arena.Keys[i] = r.Read<long>();
            var level = r.Read<byte>();
            var isDeleted = r.Read<byte>();
            if (level > MaxLevel || isDeleted > 1)
            {
                throw new InvalidDataException($"Node {i} of the vector index snapshot has an invalid level or flag.");
            }

            arena.Levels[i] = level;
            arena.Deleted[i] = isDeleted;
            deleted += isDeleted;
            r.Read(new Span<float>(arena.Vector(id), _dimensions));
            var level0 = new Span<uint>(arena.Level0(id), arena.LinkStride);
            r.Read(level0);
            CheckRecord(level0, count, i);
            if (level > 0)
            {
                var upper = new uint[level * _upperRecord];
                r.Read<uint>(upper);
                for (var l = 0; l < level; l++)
                {
                    CheckRecord(upper.AsSpan(l * _upperRecord, _upperRecord), count, i);
                }

                arena.Upper[i] = upper;
                _upperBytes += (3 * IntPtr.Size) + (upper.Length * sizeof(uint));
            }

            _count = i + 1;
        }

        if (deleted != expectedDeleted)
        {
            throw new InvalidDataException("The vector index snapshot's tombstone count does not match its nodes.");
        }

        _deleted = deleted;
    }

    private static void CheckRecord(ReadOnlySpan<uint> record, int count, int node)
    {
        if (record[0] > (uint)(record.Length - 1))
        {
            throw new InvalidDataException($"Node {node} of the vector index snapshot has too many links.");
        }

        for (var j = 1; j <= (int)record[0]; j++)
        {
            if (record[j] >= (uint)count)
            {
                throw new InvalidDataException($"Node {node} of the vector index snapshot links to a node that does not exist.");
            }
        }
    }
}
