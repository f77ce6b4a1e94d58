using Microsoft.Extensions.Logging;

namespace ZkFire.ZooKeeper.Server.Persistence;

/// <summary>A transaction as logged: its zxid and its serialised TxnHeader followed by the txn record.</summary>
public sealed record LoggedTxn(long Zxid, byte[] Txn);

/// <summary>The log's corruption (not a torn tail): start-up must stop and say where.</summary>
public sealed class TransactionLogCorruptException : Exception
{
    public TransactionLogCorruptException() { }

    public TransactionLogCorruptException(string message) : base(message) { }

    public TransactionLogCorruptException(string message, Exception innerException) : base(message, innerException) { }
}

/// <summary>
/// Append-only, checksummed transaction log in files <c>log.&lt;first zxid in hex&gt;</c>. Appends are buffered;
/// <see cref="FlushAsync"/> makes everything appended so far durable (one fsync for many appends: group commit).
/// A write is acknowledged to a client only after the flush that covers it.
/// </summary>
public sealed class TransactionLog : IAsyncDisposable
{
    private TransactionLog() => throw new NotImplementedException();

    /// <summary>Opens the log in <paramref name="directory"/>, truncating a torn tail (with a log line).</summary>
    /// <exception cref="TransactionLogCorruptException">A record before the tail is damaged.</exception>
    public static TransactionLog Open(string directory, bool forceSync, ILogger logger) => throw new NotImplementedException();

    /// <summary>The zxid of the last record appended (0 when empty).</summary>
    public long LastZxid => throw new NotImplementedException();

    /// <summary>Appends a record; zxids must increase. Not durable until <see cref="FlushAsync"/>.</summary>
    public void Append(long zxid, ReadOnlySpan<byte> txn) => throw new NotImplementedException();

    /// <summary>Writes and fsyncs (unless forceSync is off) everything appended so far.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Starts a new file at the next append (called after a snapshot).</summary>
    public void RollOver() => throw new NotImplementedException();

    /// <summary>Every record with a zxid above <paramref name="zxid"/>, in order, for recovery.</summary>
    public IEnumerable<LoggedTxn> ReadAfter(long zxid) => throw new NotImplementedException();

    /// <summary>Deletes log files holding only records at or below <paramref name="zxid"/>.</summary>
    public void PurgeThrough(long zxid) => throw new NotImplementedException();

    public ValueTask DisposeAsync() => throw new NotImplementedException();
}
