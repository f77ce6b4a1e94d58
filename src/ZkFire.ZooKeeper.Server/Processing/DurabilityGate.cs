using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Persistence;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>Something the request thread produced for the outside world: a frame, a close, or a callback.</summary>
internal readonly record struct Output(IClientChannel? Channel, byte[]? Frame, bool Close = false, Action? Callback = null)
{
    public void Release()
    {
        if (Frame is not null)
        {
            Channel?.Send(Frame);
        }

        if (Close)
        {
            Channel?.Close();
        }

        Callback?.Invoke();
    }
}

/// <summary>
/// Holds back what the request thread produces after a log append until a flush covers that append, and releases
/// everything in production order. So nobody sees a change before it is durable, and a watch event still precedes the
/// reply to the write that fired it and to any later read that sees the change (ZooKeeper's SyncRequestProcessor
/// ordering). One fsync covers every append made while the previous one ran (group commit). With nothing unflushed,
/// outputs go out at once, as ZooKeeper passes reads straight through an idle sync stage.
/// </summary>
internal sealed partial class DurabilityGate(TransactionLog log, Action<Exception> onFailure, ILogger logger)
{
    /// <summary>Held outputs beyond which the request thread waits for the disk rather than queue more.</summary>
    private const int MaxHeld = 10_000;

    private readonly Lock gate = new();
    private TaskCompletionSource? drained;
    private readonly Channel<bool> wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private List<Output> held = [];
    private List<Output> spare = [];
    private bool unflushed;
    private bool busy;

    /// <summary>A log append happened: everything produced from now on waits for the next flush. Request thread only.</summary>
    public void Appended()
    {
        lock (gate)
        {
            unflushed = true;
            if (busy)
            {
                return;
            }

            busy = true;
        }

        wake.Writer.TryWrite(true);
    }

    /// <summary>Releases <paramref name="output"/> now if nothing is held or unflushed, else after the flush. Request thread only.</summary>
    public void Send(Output output)
    {
        lock (gate)
        {
            if (busy)
            {
                held.Add(output);
                return;
            }
        }

        // Only the request thread sends, and the flusher releases nothing while not busy: order is kept outside the lock.
        output.Release();
    }

    /// <summary>
    /// Completes at once unless too much is held for a flush that has not finished (a slow or stuck disk); then
    /// when the flusher has caught up, so the request thread stops taking requests instead of piling up replies.
    /// </summary>
    public Task WhenNotCongested()
    {
        lock (gate)
        {
            if (held.Count < MaxHeld)
            {
                return Task.CompletedTask;
            }

            drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return drained.Task;
        }
    }

    /// <summary>Flushes and releases until cancelled or until a flush fails (then nothing more is released).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await wake.Reader.ReadAsync(cancellationToken);
                while (true)
                {
                    List<Output> batch;
                    bool flush;
                    TaskCompletionSource? waiting;
                    lock (gate)
                    {
                        if (!unflushed && held.Count == 0)
                        {
                            busy = false;
                            break;
                        }

                        flush = unflushed;
                        unflushed = false;
                        batch = held;
                        held = spare;
                        (waiting, drained) = (drained, null);
                    }

                    // Everything in the batch was produced after the appends it depends on, and those all happened
                    // before this flush starts; anything produced meanwhile waits for the next round.
                    if (flush)
                    {
                        await log.FlushAsync(cancellationToken);
                    }

                    foreach (var output in batch)
                    {
                        output.Release();
                    }

                    batch.Clear();
                    spare = batch;
                    waiting?.TrySetResult();
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
