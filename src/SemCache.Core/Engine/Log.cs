using Microsoft.Extensions.Logging;

namespace SemCache.Engine;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "SemCache opened {Entries} entries in {Partitions} partitions from {Directory} ({Durability}) in {Milliseconds} ms; {Snapshots} index snapshots reused")]
    public static partial void Opened(ILogger logger, long entries, int partitions, string directory, CacheDurability durability, long milliseconds, int snapshots);

    [LoggerMessage(2, LogLevel.Warning, "Index snapshot {File} could not be read; the partition is rebuilt from the log")]
    public static partial void SnapshotUnreadable(ILogger logger, string file, Exception exception);

    [LoggerMessage(3, LogLevel.Debug, "Stored entry {EntryId} for tenant {Tenant}")]
    public static partial void Stored(ILogger logger, long entryId, string tenant);

    [LoggerMessage(4, LogLevel.Trace, "Stored entry {EntryId}: prompt {Prompt}")]
    public static partial void StoredSensitive(ILogger logger, long entryId, string prompt);

    [LoggerMessage(5, LogLevel.Debug, "Removed {Count} entries ({Reason})")]
    public static partial void Removed(ILogger logger, int count, string reason);

    [LoggerMessage(6, LogLevel.Error, "Background maintenance failed")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "Entry {EntryId} is in memory but its record could not be read; it is dropped")]
    public static partial void RecordMissing(ILogger logger, long entryId);

    [LoggerMessage(8, LogLevel.Information, "Wrote {Count} index snapshots in {Milliseconds} ms")]
    public static partial void SnapshotsWritten(ILogger logger, int count, long milliseconds);

    [LoggerMessage(9, LogLevel.Warning, "The candidate re-scorer failed; the borderline candidate is treated as a miss")]
    public static partial void RescoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(20, LogLevel.Information, "SemCache vector kernels: {Kernels}; encoding {Encoding}")]
    public static partial void Kernels(ILogger logger, string kernels, VectorEncoding encoding);

    [LoggerMessage(12, LogLevel.Error, "Background index maintenance of a partition of tenant {Tenant} ({Entries} entries) failed and stopped; the partition stays correct (exact scans, tombstones kept) but is no longer promoted or rebuilt")]
    public static partial void IndexMaintenanceFailed(ILogger logger, string tenant, int entries, Exception exception);

    [LoggerMessage(10, LogLevel.Warning, "Disposal is waiting for {Operations} running operations ({Seconds} s so far); the store stays open until they finish")]
    public static partial void DisposeWaiting(ILogger logger, int operations, long seconds);
}
