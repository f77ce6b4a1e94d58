using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Processing;
using ZkFire.ZooKeeper.Server.Sessions;

namespace ZkFire.ZooKeeper.Server.Maintenance;

/// <summary>
/// Takes a snapshot every so many transactions (snapCount, randomised as ZooKeeper does so that members of an
/// ensemble do not all snapshot at once): the log rolls over to a new file and the tree is written on a background
/// task while the request thread carries on (a fuzzy snapshot, which replaying the log after its zxid makes exact).
/// The snapshot is published only once every transaction it may contain is safe (<paramref name="whenSafe"/>:
/// durable, and in an ensemble committed), so that neither a crash nor a leader's TRUNC can leave a snapshot holding
/// a change the log no longer has.
/// </summary>
internal sealed partial class Snapshotter(
    DataTree tree,
    SessionTracker sessions,
    TransactionLog log,
    SnapshotStore store,
    Func<long, Task> whenSafe,
    ZooKeeperServerOptions options,
    ILogger logger)
{
    private int sinceLast;
    private int threshold = NextThreshold(options.SnapCount);
    private Task running = Task.CompletedTask;

    /// <summary>The snapshot under way, if any (completed otherwise).</summary>
    public Task Running => running;

    public CancellationToken Stopping { get; set; }

    /// <summary>Counts a logged transaction; starts a snapshot when enough have passed. Request thread only.</summary>
    public void Committed()
    {
        if (++sinceLast < threshold)
        {
            return;
        }

        if (!running.IsCompleted)
        {
            // As ZooKeeper does: count afresh rather than retry on every transaction until the snapshot ends.
            (sinceLast, threshold) = (0, NextThreshold(options.SnapCount));
            LogTooBusy(logger);
            return;
        }

        Take();
    }

    /// <summary>Starts a snapshot of the state as of now. Request thread only.</summary>
    public Task Take()
    {
        sinceLast = 0;
        threshold = NextThreshold(options.SnapCount);
        log.RollOver();
        var zxid = tree.LastProcessedZxid;
        var table = sessions.Snapshot();
        return running = Task.Run(() => WriteAsync(zxid, table));
    }

    private async Task WriteAsync(long zxid, IReadOnlyDictionary<long, int> table)
    {
        try
        {
            var started = Environment.TickCount64;
            await store.WriteAsync(zxid, async (stream, cancellationToken) =>
            {
                SnapshotContent.Write(stream, table, tree);
                // Every change the tree could show was appended before it was applied, so the log's end bounds them.
                await whenSafe(log.LastZxid).WaitAsync(cancellationToken);
            }, Stopping);
            LogSnapshotTaken(logger, zxid, Environment.TickCount64 - started);
        }
        catch (OperationCanceledException) when (Stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The log still holds everything; the next snapshot tries again.
            LogSnapshotFailed(logger, ex, zxid);
        }
    }

    /// <summary>SyncRequestProcessor: half of snapCount plus a random part of the other half.</summary>
    private static int NextThreshold(int snapCount) => snapCount / 2 + Random.Shared.Next(Math.Max(1, snapCount / 2));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Too busy to snapshot, skipping")]
    private static partial void LogTooBusy(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Snapshot at zxid 0x{Zxid:x} written in {Milliseconds} ms")]
    private static partial void LogSnapshotTaken(ILogger logger, long zxid, long milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the snapshot at zxid 0x{Zxid:x} failed")]
    private static partial void LogSnapshotFailed(ILogger logger, Exception exception, long zxid);
}
