using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using SemCache.Partitions;
using SemCache.Vectors;

namespace SemCache.Engine;

internal sealed partial class SemanticCache
{
    private const uint SnapshotMagic = 0x58494353; // "SCIX"
    private const int SnapshotFormat = 1;

    /// <summary>
    /// Rebuilds memory from the store. HNSW partitions come back from their snapshots; the log is
    /// then reconciled with each snapshot (entries it lacks are inserted, entries no longer live are
    /// removed), so a snapshot older than the log costs only the difference, never a rebuild.
    /// </summary>
    private int Recover()
    {
        _nextId = _store.MaxEntryId;
        var snapshots = LoadSnapshots();
        var now = NowTicks;
        var stale = new List<long>();
        var replacedInMemory = new List<long>();
        var newest = new Dictionary<UInt128, long>();
        foreach (var record in _store.ScanLive())
        {
            if (record.ExpiresUtcTicks != 0 && record.ExpiresUtcTicks <= now)
            {
                stale.Add(record.Id);
                continue;
            }

            _nextId = Math.Max(_nextId, record.Id);

            // Two live records of one prompt: the older was replaced and its delete did not reach
            // the device before a crash. The map lives only while recovering (reading the store's
            // exact key per record instead would cost a store read each).
            var exact = Key128(record.ExactKey);
            if (newest.TryGetValue(exact, out var other))
            {
                if (other > record.Id)
                {
                    stale.Add(record.Id);
                    continue;
                }

                stale.Add(other);
                replacedInMemory.Add(other);
            }

            newest[exact] = record.Id;
            Apply(record, TenantFor(record.Tenant), analysis: null);
        }

        if (replacedInMemory.Count > 0) { RemoveVectors(TakeOutOfMemory(replacedInMemory, RemovalReason.Replaced)); }

        // Snapshot members that are no longer live (deleted after the snapshot was taken).
        foreach (var partition in _partitions.All)
        {
            if (!partition.TryEnter()) { continue; }
            try
            {
                foreach (var key in partition.Index.Keys())
                {
                    if (!_entries.ContainsKey(key)) { partition.Index.Remove(key); }
                }

                partition.SnapshotVersion = partition.Version;
            }
            finally
            {
                partition.Exit();
            }
        }

        // A snapshot whose entries all went after it was taken leaves an empty partition: drop it.
        _partitions.DropEmpty();

        // Replaced and expired records never entered memory; the store deletes them in one batch
        // (DeleteStaleAsync), so recovery itself does not block on I/O.
        if (stale.Count > 0) { _staleAtOpen = stale; }

        return snapshots;
    }

    /// <summary>
    /// Deletes, in one batch, the records recovery found stale. Runs once: OpenAsync awaits it, and
    /// the first maintenance round starts it for engines opened synchronously.
    /// </summary>
    private Task DeleteStaleAsync() => LazyInitializer.EnsureInitialized(ref _staleDeletion, DeleteStaleCoreAsync);

    private async Task DeleteStaleCoreAsync()
    {
        if (_staleAtOpen is { } stale) { await _store.DeleteManyAsync(stale, CancellationToken.None); }
        _staleAtOpen = null;
    }

    private int LoadSnapshots()
    {
        if (_indexDirectory is null || !Directory.Exists(_indexDirectory)) { return 0; }
        var loaded = 0;
        foreach (var file in Directory.EnumerateFiles(_indexDirectory, "*.idx"))
        {
            try
            {
                using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
                using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
                if (reader.ReadUInt32() != SnapshotMagic || reader.ReadInt32() != SnapshotFormat)
                {
                    throw new InvalidDataException("not a SemCache index snapshot");
                }

                var lo = reader.ReadUInt64();
                var hi = reader.ReadUInt64();
                var tenant = reader.ReadString();
                var scope = reader.ReadBytes(ScopeKeys.HashSize);
                var dims = reader.ReadInt32();
                if (dims != _options.Dimensions || scope.Length != ScopeKeys.HashSize)
                {
                    throw new InvalidDataException($"snapshot has {dims} dimensions, the cache {_options.Dimensions}");
                }

                var key = new UInt128(hi, lo);
                var index = PartitionIndex.ReadSnapshot(stream, _indexOptions);
                _partitions.Adopt(new Partition(key, tenant, scope, index));
                loaded++;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or ArgumentException or FormatException)
            {
                Log.SnapshotUnreadable(_logger, file, e);
            }
        }

        return loaded;
    }

    /// <summary>
    /// Writes a snapshot of every HNSW-sized partition that changed since its last snapshot
    /// (small partitions rebuild faster than they load). Each file is written beside its final
    /// name, flushed and renamed, so a crash leaves the old snapshot or the new one, never half.
    /// </summary>
    private void WriteSnapshots(bool force)
    {
        if (_indexDirectory is null) { return; }
        lock (_snapshotGate)
        {
            WriteSnapshotsCore(force);
        }
    }

    private void WriteSnapshotsCore(bool force)
    {
        var sw = Stopwatch.StartNew();
        var written = 0;
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var partition in _partitions.All)
        {
            // The lease keeps the index from being dropped and freed while it is written.
            if (!partition.TryEnter()) { continue; }
            try
            {
                var name = SnapshotName(partition.Key);
                live.Add(name);
                if (WriteSnapshot(partition, Path.Combine(_indexDirectory!, name), force)) { written++; }
            }
            finally
            {
                _partitions.Exit(partition);
            }
        }

        DeleteOrphanSnapshots(live);
        if (written > 0) { Log.SnapshotsWritten(_logger, written, sw.ElapsedMilliseconds); }
    }

    /// <summary>
    /// Snapshots of partitions that were dropped (emptied) would be loaded again at the next open
    /// only to be reconciled away: delete them. Runs with the periodic snapshot, not on the hot path.
    /// </summary>
    private void DeleteOrphanSnapshots(HashSet<string> live)
    {
        if (_indexDirectory is null || !Directory.Exists(_indexDirectory)) { return; }
        foreach (var file in Directory.EnumerateFiles(_indexDirectory, "*.idx"))
        {
            if (!live.Contains(Path.GetFileName(file))) { File.Delete(file); }
        }
    }

    private bool WriteSnapshot(Partition partition, string file, bool force)
    {
        var version = Interlocked.Read(ref partition.Version);
        if (partition.Index.Count < _options.FlatSearchLimit)
        {
            if (partition.SnapshotVersion >= 0 && File.Exists(file)) { File.Delete(file); }
            return false;
        }

        if (!force && version == partition.SnapshotVersion) { return false; }
        Directory.CreateDirectory(_indexDirectory!);
        var tmp = file + ".tmp";
        bool complete;
        using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
            {
                writer.Write(SnapshotMagic);
                writer.Write(SnapshotFormat);
                writer.Write((ulong)partition.Key);
                writer.Write((ulong)(partition.Key >> 64));
                writer.Write(partition.Tenant);
                writer.Write(partition.ScopeFingerprint);
                writer.Write(_options.Dimensions);
            }

            complete = partition.Index.WriteSnapshot(stream);
            if (complete) { stream.Flush(flushToDisk: true); }
        }

        if (!complete)
        {
            // A rebuild swapped generations mid-write: the next round writes the new one.
            File.Delete(tmp);
            return false;
        }

        File.Move(tmp, file, overwrite: true);
        partition.SnapshotVersion = version;
        return true;
    }

    private static string SnapshotName(UInt128 key)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, key);
        return string.Create(CultureInfo.InvariantCulture, $"{Convert.ToHexStringLower(bytes)}.idx");
    }
}
