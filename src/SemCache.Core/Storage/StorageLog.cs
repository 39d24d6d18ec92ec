using Microsoft.Extensions.Logging;

namespace SemCache.Storage;

/// <summary>Log messages of the storage engine (source-generated, so disabled levels cost nothing).</summary>
internal static partial class StorageLog
{
    [LoggerMessage(1001, LogLevel.Information, "Entry store opened ({Durability}) in {Directory}: recovered checkpoint {Recovered}, replayed {Replayed} write-ahead records, max entry id {MaxEntryId}.")]
    public static partial void Opened(ILogger logger, CacheDurability durability, string directory, bool recovered, long replayed, long maxEntryId);

    [LoggerMessage(1002, LogLevel.Error, "Corrupt {Kind} record (key {Key}) failed its checksum and was not served.")]
    public static partial void CorruptRecord(ILogger logger, string kind, string key);

    [LoggerMessage(1003, LogLevel.Error, "The write-ahead log commit failed.")]
    public static partial void WalCommitFailed(ILogger logger, Exception exception);

    [LoggerMessage(1004, LogLevel.Debug, "Checkpoint {Token} taken (log {BeginAddress}..{TailAddress}).")]
    public static partial void CheckpointTaken(ILogger logger, Guid token, long beginAddress, long tailAddress);

    [LoggerMessage(1005, LogLevel.Warning, "A checkpoint could not be started because another one was in progress.")]
    public static partial void CheckpointBusy(ILogger logger);

    [LoggerMessage(1006, LogLevel.Information, "Compacted the log until {UntilAddress}: {LogBytesBefore} -> {LogBytesAfter} bytes.")]
    public static partial void Compacted(ILogger logger, long untilAddress, long logBytesBefore, long logBytesAfter);

    [LoggerMessage(1007, LogLevel.Error, "Background store maintenance failed; it retries at the next interval.")]
    public static partial void MaintenanceFailed(ILogger logger, Exception exception);

    [LoggerMessage(1009, LogLevel.Critical, "The store in {Directory} is faulted and refuses writes until restart (reads are still served): {Reason}")]
    public static partial void StoreFaulted(ILogger logger, string directory, string reason);
}
