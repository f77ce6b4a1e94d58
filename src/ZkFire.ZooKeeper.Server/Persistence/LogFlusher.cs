using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace ZkFire.ZooKeeper.Server.Persistence;

/// <summary>
/// Makes appended transactions durable in the background: one flush covers every append made while the previous one
/// ran (group commit), and each flush reports the zxid it made durable (a standalone member's commit point, an
/// ensemble member's acknowledgement).
/// </summary>
internal sealed partial class LogFlusher(TransactionLog log, Action<long> flushed, Action<Exception> onFailure, ILogger logger)
{
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock gate = new();
    private readonly List<(long Zxid, TaskCompletionSource Flushed)> waiters = [];

    /// <summary>Something was appended: flush soon.</summary>
    public void Appended() => wake.Writer.TryWrite(true);

    /// <summary>Completes once the log is durable through <paramref name="zxid"/>.</summary>
    public Task WhenFlushed(long zxid)
    {
        lock (gate)
        {
            if (zxid <= log.FlushedZxid)
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            waiters.Add((zxid, waiter));
            wake.Writer.TryWrite(true);
            return waiter.Task;
        }
    }

    /// <summary>Flushes until cancelled or until a flush fails (then nothing more is reported).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await wake.Reader.ReadAsync(cancellationToken);
                await log.FlushAsync(cancellationToken);
                var durable = log.FlushedZxid;
                flushed(durable);
                lock (gate)
                {
                    waiters.RemoveAll(waiter =>
                    {
                        if (waiter.Zxid > durable)
                        {
                            return false;
                        }

                        waiter.Flushed.TrySetResult();
                        return true;
                    });
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            // ZooKeeper stops when it cannot sync its log: acknowledging anything further could lose it.
            LogFlushFailed(logger, ex);
            onFailure(ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Flushing the transaction log failed; the server stops acknowledging writes")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}
