using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.ZooKeeper.Server.Network;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Processing;
using ZkFire.ZooKeeper.Server.Quorum;
using ZkFire.ZooKeeper.Server.Quorum.Transport;
using ZkFire.ZooKeeper.Server.Sessions;

namespace ZkFire.ZooKeeper.Server;

/// <summary>
/// A ZooKeeper member speaking ZooKeeper's client protocol. Standalone (no <c>server.N</c>): recovery from dataDir,
/// then one serving period for good. In an ensemble: the quorum peer elects, leads or follows, and opens a serving
/// period each time it has a synced quorum behind it; in between, clients are refused.
/// </summary>
public sealed partial class ZooKeeperServer : IAsyncDisposable
{
    private readonly ZooKeeperServerOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly IQuorumTransport? transport;
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> loops = [];
    private TransactionLog? log;
    private ClientListener? listener;
    private Replica? standalone;
    private QuorumPeer? peer;
    private int disposed;

    public ZooKeeperServer(ZooKeeperServerOptions options, ILoggerFactory? loggerFactory = null, TimeProvider? time = null)
        : this(options, loggerFactory, time, transport: null)
    {
    }

    /// <param name="transport">The links to the other members; null for the real (DotNetty) transport.</param>
    internal ZooKeeperServer(ZooKeeperServerOptions options, ILoggerFactory? loggerFactory, TimeProvider? time, IQuorumTransport? transport)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        this.time = time ?? TimeProvider.System;
        this.transport = transport;
        logger = this.loggerFactory.CreateLogger<ZooKeeperServer>();
    }

    /// <summary>Where the client port listens (its real port when <see cref="ZooKeeperServerOptions.ClientPort"/> is 0).</summary>
    public IPEndPoint LocalEndPoint { get; private set; } = new(IPAddress.None, 0);

    /// <summary>
    /// Completes when the server stops serving on its own: faulted when it could not go on (the log could not be
    /// flushed, or a transaction could not be applied), as ZooKeeper exits in those cases.
    /// </summary>
    public Task Completion => completion.Task;

    /// <summary>What the member is now: standalone, leader, follower, or looking (in an election, serving nobody).</summary>
    public string Mode => peer?.Mode ?? "standalone";

    /// <summary>Recovers the state in dataDir, then starts serving the client port (an ensemble member: once it has a quorum).</summary>
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
        var member = new MemberState(
            options,
            log,
            new SnapshotStore(dataDir, loggerFactory.CreateLogger<SnapshotStore>()),
            await SessionSecret.LoadAsync(dataDir, cancellationToken),
            new ServerStats(),
            time,
            loggerFactory,
            Fail,
            dataDir,
            logDir,
            () => listener!.Connections);

        var token = stopping.Token;
        listener = new ClientListener(options, () => (standalone ?? peer?.Current)?.Context, loggerFactory.CreateLogger<ClientListener>());
        LocalEndPoint = listener.Bind();
        if (options.Servers.Count == 0)
        {
            await StartStandaloneAsync(member, cancellationToken);
        }
        else
        {
            peer = new QuorumPeer(member, transport ?? new DotNettyQuorumTransport(options.ServerId, options.Servers, QuorumTransportOptions.From(options), loggerFactory), loggerFactory.CreateLogger<QuorumPeer>());
            await peer.StartAsync(cancellationToken);
            loops.Add(member.Supervise(peer.RunAsync(token), "quorum peer", logger, token));
        }

        listener.Start(token);
        LogStarted(logger, LocalEndPoint, Mode, log.LastZxid);
    }

    private async Task StartStandaloneAsync(MemberState member, CancellationToken cancellationToken)
    {
        var replica = member.Recover(stopping.Token);
        // ZooKeeper kills, at load, the ephemerals of sessions it has no record of; here that is a logged close.
        foreach (var orphan in replica.Tree.SessionsWithEphemerals.Where(id => !replica.RestoredSessions.ContainsKey(id)))
        {
            LogOrphanedEphemerals(logger, orphan);
            replica.Processor.CloseOrphanedSession(orphan);
        }

        replica.Start();
        replica.StartOwnerDuties();
        // A clean snapshot of the recovered state, as ZooKeeper takes one after loading.
        await replica.Processor.InspectAsync(replica.Snapshotter.Take, cancellationToken).Unwrap().WaitAsync(cancellationToken);
        replica.Serve(StandaloneRole.Instance, member.Connections, member.DataDir, member.LogDir);
        standalone = replica;
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
        if (peer is not null)
        {
            await peer.DisposeAsync();
        }

        if (standalone is not null)
        {
            await standalone.DisposeAsync();
        }

        if (log is not null)
        {
            await log.DisposeAsync();
        }

        completion.TrySetResult();
        stopping.Dispose();
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

    [LoggerMessage(Level = LogLevel.Information, Message = "ZooKeeper server listening on {EndPoint} ({Mode}), last logged zxid 0x{Zxid:x}")]
    private static partial void LogStarted(ILogger logger, IPEndPoint endPoint, string mode, long zxid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session 0x{SessionId:x} owns ephemerals but is unknown; closing it")]
    private static partial void LogOrphanedEphemerals(ILogger logger, long sessionId);
}
