using FASTER.core;

namespace SemCache.Storage;

internal sealed partial class FasterEntryStore
{
    /// <summary>Where each live entry's latest record is, as found by one pass over the log.</summary>
    private sealed class LivenessMap
    {
        public Dictionary<long, (long Address, int Length)> Live { get; } = [];

        public long BeginAddress { get; init; }

        public long EndAddress { get; init; }

        public long MaxIdSeen { get; set; }

        public long Mutations { get; init; }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Two sequential passes over the log: the first finds each entry's latest record (a tombstone ends it,
    /// a compaction copy supersedes the original), the second decodes exactly those records. Values that
    /// fail their checksum are skipped and counted. Meant for start-up; concurrent writes may or may not show.
    /// </remarks>
    public IEnumerable<CacheEntryRecord> ScanLive()
    {
        ThrowIfDisposed();
        return ScanLiveIterator();
    }

    private IEnumerable<CacheEntryRecord> ScanLiveIterator()
    {
        // Compaction must not move the begin address under a running scan.
        Interlocked.Increment(ref _activeScans);
        try
        {
            var map = Interlocked.Exchange(ref _openScan, null);
            if (map is null || map.Mutations != Interlocked.Read(ref _mutations) || map.BeginAddress < _store.Log.BeginAddress)
                map = BuildLivenessMap();
            if (map.Live.Count == 0)
                yield break;

            using var iterator = _store.Log.Scan(map.BeginAddress, map.EndAddress);
            while (iterator.GetNext(out var info))
            {
                if (info.Tombstone || !StoreKeys.TryReadEntryKey(iterator.GetKey().AsReadOnlySpan(), out var id))
                    continue;
                if (!map.Live.TryGetValue(id, out var latest) || latest.Address != iterator.CurrentAddress)
                    continue;
                if (!EntryRecordCodec.TryDecode(iterator.GetValue().AsReadOnlySpan(), out var entry) || entry!.Id != id)
                {
                    ReportCorrupt("entry", id);
                    continue;
                }

                yield return entry;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _activeScans);
        }
    }

    private LivenessMap BuildLivenessMap()
    {
        // Every mode can read its whole log back (InMemory mode from its native-memory device).
        var begin = _store.Log.BeginAddress;
        var map = new LivenessMap
        {
            BeginAddress = begin,
            EndAddress = _store.Log.TailAddress,
            Mutations = Interlocked.Read(ref _mutations),
        };
        if (map.EndAddress <= map.BeginAddress)
            return map;

        long maxId = 0;
        using var iterator = _store.Log.Scan(map.BeginAddress, map.EndAddress);
        while (iterator.GetNext(out var info))
        {
            if (!StoreKeys.TryReadEntryKey(iterator.GetKey().AsReadOnlySpan(), out var id))
                continue;
            maxId = Math.Max(maxId, id);
            if (info.Tombstone)
                map.Live.Remove(id);
            else
                map.Live[id] = (iterator.CurrentAddress, iterator.GetValue().Length);
        }

        map.MaxIdSeen = maxId;
        return map;
    }

    /// <summary>Recovers the max id and the live-bytes estimate; keeps the pass for the engine's first <see cref="ScanLive"/>.</summary>
    private void LoadState()
    {
        var map = BuildLivenessMap();
        RaiseMaxEntryId(map.MaxIdSeen);

        Span<byte> key = stackalloc byte[StoreKeys.MetaKeyLength];
        StoreKeys.WriteMetaKey(key, StoreKeys.MaxEntryIdMeta);
        var session = _sessions.Rent();
        try
        {
            switch (TryReadId(session, key, out var persistedMax))
            {
                case IdRead.Found:
                    RaiseMaxEntryId(persistedMax);
                    break;
                case IdRead.Corrupt:
                    ReportCorrupt("metadata", StoreKeys.MaxEntryIdMeta);
                    break;
            }
        }
        finally
        {
            _sessions.Return(session);
        }

        long live = 0;
        foreach (var (_, length) in map.Live.Values)
            live += length + RecordOverheadBytes;
        Interlocked.Exchange(ref _liveBytes, live);
        Interlocked.Exchange(ref _openScan, map);
    }

    /// <summary>Replays the committed write-ahead log after the recovered checkpoint's position.</summary>
    private long ReplayWriteAheadLog(long fromAddress)
    {
        long replayed = 0;
        var session = _sessions.Rent();
        var batches = new BatchReplay(this);
        try
        {
            foreach (var (address, record, length) in _wal!.ReadCommitted(fromAddress))
            {
                var span = record.AsSpan(0, length);
                if (span.Length > 0 && span[0] == WalDeleteBatch ? batches.Accept(session, span) : ApplyRecord(session, span, verify: true))
                    replayed++;
                else
                    ReportCorrupt("write-ahead", address);
            }
        }
        finally
        {
            _sessions.Return(session);
        }

        if (replayed > 0)
            Interlocked.Increment(ref _mutations);
        return replayed;
    }
}
