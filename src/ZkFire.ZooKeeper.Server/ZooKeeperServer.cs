using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Maintenance;
using ZkFire.ZooKeeper.Server.Network;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Processing;
using ZkFire.ZooKeeper.Server.Sessions;
using ZkFire.ZooKeeper.Server.Watches;

namespace ZkFire.ZooKeeper.Server;

/// <summary>
/// A standalone ZooKeeper member speaking ZooKeeper's client protocol: recovery from dataDir on start (newest valid
/// snapshot, then the log after it), the client port, the request thread, the log flusher, session expiry,
/// snapshots, autopurge and the container reaper.
/// </summary>
public sealed partial class ZooKeeperServer : IAsyncDisposable
{
    private const string SecretFileName = "zkfire-session.secret";

    private readonly ZooKeeperServerOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> loops = [];
    private TransactionLog? log;
    private ClientListener? listener;
    private Snapshotter? snapshotter;
    private int disposed;

    public ZooKeeperServer(ZooKeeperServerOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        this.time = time ?? TimeProvider.System;
        logger = this.loggerFactory.CreateLogger<ZooKeeperServer>();
    }

    /// <summary>Where the client port listens (its real port when <see cref="ZooKeeperServerOptions.ClientPort"/> is 0).</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>
    /// Completes when the server stops serving on its own: faulted when it could not go on (the log could not be
    /// flushed, or a transaction could not be applied), as ZooKeeper exits in those cases.
    /// </summary>
    public Task Completion => completion.Task;

    /// <summary>Recovers the state in dataDir, then starts serving the client port.</summary>
    /// <exception cref="TransactionLogCorruptException">The log is damaged before its tail.</exception>
    /// <exception cref="IOException">The client port cannot be bound, or dataDir cannot be used.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            // The loops started here live as long as the server: on the thread pool, not on whatever synchronization
            // context the caller has (a UI or test context would funnel the whole server through its few threads).
            await Task.Run(() => StartCoreAsync(cancellationToken), cancellationToken);
        }
        catch
        {
            // Whatever got going (the flusher, an open log) stops again; the caller only sees the failure.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(CancellationToken cancellationToken)
    {
        var dataDir = Path.GetFullPath(options.DataDir);
        var logDir = Path.GetFullPath(options.DataLogDir ?? options.DataDir);
        Directory.CreateDirectory(dataDir);
        log = TransactionLog.Open(logDir, options.ForceSync, loggerFactory.CreateLogger<TransactionLog>());
        var snapshots = new SnapshotStore(dataDir, loggerFactory.CreateLogger<SnapshotStore>());
        var (tree, sessionTable) = Recover(snapshots, log);

        var sessions = new SessionTracker(options.TickTime, options.ServerId, await LoadSecretAsync(dataDir, cancellationToken), time);
        foreach (var (id, timeout) in sessionTable)
        {
            // A session that was alive gets a full timeout from now before its ephemerals go.
            sessions.Track(id, timeout);
        }

        var token = stopping.Token;
        var gate = new DurabilityGate(log, Fail, loggerFactory.CreateLogger<DurabilityGate>());
        loops.Add(Watch(gate.RunAsync(token), "log flusher"));
        var stats = new ServerStats();
        var processor = new RequestProcessor(tree, log, sessions, gate, options, stats, time, loggerFactory.CreateLogger<RequestProcessor>());
        snapshotter = new Snapshotter(tree, sessions, log, snapshots, gate, options, loggerFactory.CreateLogger<Snapshotter>()) { Stopping = token };
        processor.Committed = () => snapshotter.Committed();

        // ZooKeeper kills, at load, the ephemerals of sessions it has no record of; here that is a logged close.
        foreach (var orphan in tree.SessionsWithEphemerals.Where(id => !sessionTable.ContainsKey(id)))
        {
            LogOrphanedEphemerals(logger, orphan);
            processor.CloseOrphanedSession(orphan);
        }

        // A clean snapshot of the recovered state, as ZooKeeper takes one after loading.
        await snapshotter.Take().WaitAsync(cancellationToken);

        loops.Add(Watch(processor.RunAsync(token), "request thread"));
        loops.Add(Watch(sessions.RunExpiryAsync(s => processor.EnqueueAsync(new ExpireSessionWork(s.Id), token), token), "session expiry"));
        loops.Add(Watch(new ContainerReaper(processor, tree, options, time, loggerFactory.CreateLogger<ContainerReaper>()).RunAsync(token), "container reaper"));
        if (options.PurgeIntervalHours > 0)
        {
            loops.Add(Watch(PurgeAsync(snapshots, log, token), "autopurge"));
        }

        ClientListener? clients = null;
        var words = new FourLetterWords(options, processor, sessions, stats, tree, () => clients!.Connections, dataDir, logDir);
        var context = new ServerContext(options, processor, sessions, stats, time, words, loggerFactory.CreateLogger<ClientConnection>());
        listener = clients = new ClientListener(context);
        LocalEndPoint = listener.Bind();
        listener.Start(token);
        LogStarted(logger, LocalEndPoint, processor.LastZxid, sessionTable.Count);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        await stopping.CancelAsync();
        if (listener is not null)
        {
            await listener.DisposeAsync();
        }

        await Task.WhenAll(loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (snapshotter is not null)
        {
            await snapshotter.Running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (log is not null)
        {
            await log.DisposeAsync();
        }

        completion.TrySetResult();
        stopping.Dispose();
    }

    /// <summary>
    /// The newest valid snapshot, then every logged transaction after it (tolerantly: the snapshot is fuzzy), keeping
    /// the session table in step with createSession and closeSession.
    /// </summary>
    private (DataTree Tree, Dictionary<long, int> Sessions) Recover(SnapshotStore snapshots, TransactionLog transactionLog)
    {
        DataTree tree;
        Dictionary<long, int> sessionTable;
        long snapshotZxid = 0;
        using (var snapshot = snapshots.OpenLatestValid())
        {
            if (snapshot is null)
            {
                (tree, sessionTable) = (new DataTree(), []);
            }
            else
            {
                (sessionTable, tree) = SnapshotContent.Read(snapshot.Content);
                snapshotZxid = snapshot.Zxid;
            }
        }

        var replayed = 0;
        var ignored = new List<WatchNotification>();
        foreach (var entry in transactionLog.ReadAfter(snapshotZxid))
        {
            var (header, txn) = TxnCodec.Deserialize(entry.Txn);
            tree.Apply(header, txn, ignored, replaying: true);
            ignored.Clear();
            switch (txn)
            {
                case CreateSessionTxn create when header.Type == OpCode.CreateSession:
                    sessionTable[header.ClientId] = create.Timeout;
                    break;
                case var _ when header.Type == OpCode.CloseSession:
                    sessionTable.Remove(header.ClientId);
                    break;
            }

            replayed++;
        }

        LogRecovered(logger, snapshotZxid, replayed, tree.LastProcessedZxid);
        return (tree, sessionTable);
    }

    /// <summary>
    /// The key of session passwords, created on first start. It must outlive restarts, or no session survives one;
    /// a quorum will have to share it among its members.
    /// </summary>
    private static async Task<byte[]> LoadSecretAsync(string dataDir, CancellationToken cancellationToken)
    {
        var path = Path.Combine(dataDir, SecretFileName);
        if (File.Exists(path))
        {
            var existing = await File.ReadAllBytesAsync(path, cancellationToken);
            if (existing.Length >= 32)
            {
                return existing;
            }
        }

        var secret = RandomNumberGenerator.GetBytes(32);
        var temporary = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var file = new FileStream(temporary, fileOptions))
        {
            await file.WriteAsync(secret, cancellationToken);
            file.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: true);
        return secret;
    }

    /// <summary>autopurge: keeps snapRetainCount snapshots and the logs they need.</summary>
    private async Task PurgeAsync(SnapshotStore snapshots, TransactionLog transactionLog, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(options.PurgeIntervalHours), time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var oldest = snapshots.Purge(Math.Max(SnapshotStore.MinimumRetained, options.SnapRetainCount));
                if (oldest > 0)
                {
                    transactionLog.PurgeThrough(oldest);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task Watch(Task loop, string name)
    {
        try
        {
            await loop;
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            LogLoopFailed(logger, ex, name);
            Fail(ex);
        }
    }

    /// <summary>Stops serving for good: what could not be made durable or applied must not be acknowledged.</summary>
    private void Fail(Exception exception)
    {
        completion.TrySetException(exception);
        try
        {
            stopping.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ZooKeeper server listening on {EndPoint}, last zxid 0x{Zxid:x}, {Sessions} sessions restored")]
    private static partial void LogStarted(ILogger logger, IPEndPoint endPoint, long zxid, int sessions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Recovered from the snapshot at zxid 0x{SnapshotZxid:x} and {Replayed} logged transactions, now at 0x{Zxid:x}")]
    private static partial void LogRecovered(ILogger logger, long snapshotZxid, int replayed, long zxid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session 0x{SessionId:x} owns ephemerals but is unknown; closing it")]
    private static partial void LogOrphanedEphemerals(ILogger logger, long sessionId);

    [LoggerMessage(Level = LogLevel.Critical, Message = "The {Loop} failed; the server stops")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception, string loop);
}
