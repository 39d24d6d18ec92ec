namespace SemCache.Vectors;

internal sealed unsafe partial class HnswGraph
{
    private const uint SnapshotMagic = 0x49564353; // "SCVI"
    private const int SnapshotVersion = 1;

    /// <summary>Nodes written per hold of the arena gate (about 400 KB at 384 dimensions): a growth waits for at most one batch.</summary>
    private const int SnapshotBatch = 256;

    /// <summary>
    /// Fixes what a snapshot will hold. Writer lock held (no appends or removals meanwhile): waits until every node
    /// appended while linking has been linked by its writer (a link takes about a millisecond, and no new ones start
    /// while the lock is held), then records the node count, the entry point and the tombstone flags. Everything
    /// else is written by <see cref="WriteSnapshot"/> after the lock is released.
    /// </summary>
    public SnapshotView CaptureSnapshot()
    {
        var spinner = default(SpinWait);
        while (PendingLinks > 0)
        {
            spinner.SpinOnce();
        }

        var count = _count;
        var deleted = new byte[count];
        _arena.Deleted.AsSpan(0, count).CopyTo(deleted);
        return new SnapshotView(count, _deleted, _linked, _linked ? _entry : NoEntry, deleted);
    }

    /// <summary>
    /// Writes the graph as <paramref name="view"/> fixed it: a header, then per node its key, level, tombstone flag,
    /// vector and link records, then an XxHash64 of all of it. Runs beside appends, links and searches: vectors, keys
    /// and levels never change once appended, each link record is copied under its node's lock, and links to nodes
    /// appended after the capture are left out, so every record written is one a finished graph held (a later link
    /// may have replaced one of its neighbours by a newer node; the record is then one link shorter). The arena
    /// gate is held per batch of <see cref="SnapshotBatch"/> nodes, so a growth waits for one batch, not the whole
    /// write. A graph that searches still scan at the capture is written with empty link records: it is restored
    /// flat and promoted again, rather than with half of its links. Returns false, with a partial stream, when the
    /// graph is retired meanwhile (a rebuild swapped in its successor): the caller discards what was written.
    /// </summary>
    public bool WriteSnapshot(Stream stream, SnapshotView view)
    {
        var count = view.Count;
        var w = new SnapshotWriter(stream);
        w.Write(SnapshotMagic);
        w.Write(SnapshotVersion);
        w.Write(_dimensions);
        w.Write(_m);
        w.Write(count);
        w.Write(view.DeletedCount);
        w.Write((byte)(view.Linked ? 1 : 0));
        w.Write(view.Entry);
        var level0 = new uint[1 + _maxM0];
        var upper = new uint[MaxLevel * _upperRecord];
        for (var first = 0; first < count; first += SnapshotBatch)
        {
            _arenaGate.EnterShared();
            try
            {
                if (_retired)
                {
                    return false;
                }

                // The current arena, which every linker writes while the gate is shared (a growth between batches
                // copied every record into it).
                var arena = _arena;
                var end = Math.Min(count, first + SnapshotBatch);
                for (var i = first; i < end; i++)
                {
                    WriteNode(w, arena, (uint)i, view, level0, upper);
                }
            }
            finally
            {
                _arenaGate.ExitShared();
            }
        }

        w.Finish();
        return true;
    }

    private void WriteNode(SnapshotWriter w, VectorArena arena, uint id, SnapshotView view, uint[] level0Buffer, uint[] upperBuffer)
    {
        var level = arena.Levels[id];
        w.Write(arena.Keys[id]);
        w.Write(level);
        w.Write(view.Deleted[id]);
        w.Write(new ReadOnlySpan<float>(arena.Vector(id), _dimensions));
        var level0 = level0Buffer.AsSpan(0, arena.LinkStride);
        var upper = upperBuffer.AsSpan(0, level * _upperRecord);
        if (view.Linked)
        {
            // One hold of the node's lock copies all its records: upper records are arrays shared by every arena the
            // node has lived in, guarded, like its level-0 record, by the current arena's lock.
            ref var gate = ref arena.Locks[id];
            SpinAcquire(ref gate);
            try
            {
                new ReadOnlySpan<uint>(arena.Level0(id), arena.LinkStride).CopyTo(level0);
                if (level > 0)
                {
                    arena.Upper[id].AsSpan(0, upper.Length).CopyTo(upper);
                }
            }
            finally
            {
                Volatile.Write(ref gate, 0);
            }

            KeepCaptured(level0, view.Count);
            for (var l = 0; l < level; l++)
            {
                KeepCaptured(upper.Slice(l * _upperRecord, _upperRecord), view.Count);
            }
        }
        else
        {
            level0.Clear();
            upper.Clear();
        }

        w.Write<uint>(level0);
        if (level > 0)
        {
            w.Write<uint>(upper);
        }
    }

    /// <summary>Drops from a copied link record (count, then ids) the links to nodes appended after the capture, and zeroes the unused tail.</summary>
    private static void KeepCaptured(Span<uint> record, int count)
    {
        var links = (int)Math.Min(record[0], (uint)(record.Length - 1));
        var kept = 0;
        for (var j = 1; j <= links; j++)
        {
            if (record[j] < (uint)count)
            {
                record[1 + kept++] = record[j];
            }
        }

        record[0] = (uint)kept;
        record[(1 + kept)..].Clear();
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

/// <summary>What <see cref="HnswGraph.CaptureSnapshot"/> fixed under the writer lock: the nodes a snapshot holds and their tombstones.</summary>
internal sealed class SnapshotView(int count, int deletedCount, bool linked, long entry, byte[] deleted)
{
    public int Count { get; } = count;

    public int DeletedCount { get; } = deletedCount;

    public bool Linked { get; } = linked;

    public long Entry { get; } = entry;

    public byte[] Deleted { get; } = deleted;
}
