using Microsoft.Extensions.Logging;

namespace ZkFire.ZooKeeper.Server.Persistence;

internal static partial class PersistenceLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction log {File}: torn tail at offset {Offset}, {Dropped} bytes of an unacknowledged write dropped")]
    public static partial void TornTail(ILogger logger, string file, long offset, long dropped);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transaction log {File}: header incomplete (crash while it was created), file removed")]
    public static partial void TornHeader(ILogger logger, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Transaction log {File} holds no records, file removed")]
    public static partial void EmptyLogRemoved(ILogger logger, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Transaction log in {Directory}: {Files} files, last zxid 0x{Zxid:x}")]
    public static partial void Opened(ILogger logger, string directory, int files, long zxid);

    [LoggerMessage(Level = LogLevel.Error, Message = "Transaction log write failed; the log accepts no more writes")]
    public static partial void WriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed transaction log {File}")]
    public static partial void LogPurged(ILogger logger, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Transaction log truncated after zxid 0x{Zxid:x}")]
    public static partial void Truncated(ILogger logger, long zxid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Snapshot {File} is damaged ({Reason}), skipped")]
    public static partial void SnapshotDamaged(ILogger logger, string file, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote snapshot {File}")]
    public static partial void SnapshotWritten(ILogger logger, string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed snapshot {File}")]
    public static partial void SnapshotPurged(ILogger logger, string file);
}
