using Microsoft.Extensions.Logging;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Maintenance;
using ZkFire.ZooKeeper.Server.Network;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Processing;
using ZkFire.ZooKeeper.Server.Sessions;
using ZkFire.ZooKeeper.Server.Watches;

namespace ZkFire.ZooKeeper.Server;

/// <summary>What a member keeps in memory from one serving period to the next, so a role change need not reload dataDir.</summary>
internal sealed record CarriedState(DataTree Tree, Dictionary<long, int> Sessions);

/// <summary>
/// One period of serving clients: the tree and sessions recovered from dataDir when it begins (newest valid snapshot,
/// then the log after it), the request thread, the log flusher and the maintenance loops. A standalone member has one
/// period; an ensemble member starts one each time it leads or follows, and ends it (discarding the in-memory state,
/// whose uncommitted part must not survive) when it loses its leader or its quorum.
/// </summary>
internal sealed partial class Replica : IAsyncDisposable
{
    private readonly ZooKeeperServerOptions options;
    private readonly TimeProvider time;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly MemberState member;
    private readonly CancellationTokenSource stopping;
    private readonly List<Task> loops = [];
    /// <param name="member">What outlives the period.</param>
    /// <param name="serverStopping">Ends the period when the server stops.</param>
    /// <param name="onFlushed">
    /// Where flushed zxids go in an ensemble (a leader counts them as its own acknowledgement, a follower sends them
    /// to its leader); null for a standalone member, for which flushed means committed.
    /// </param>
    /// <param name="follower">
    /// A follower's tree holds only committed transactions, so its snapshots need only be durable; a leader's and a
    /// standalone member's snapshots wait for the commit of everything they may hold.
    /// </param>
    /// <param name="carried">
    /// The state a previous period of this member left in memory, valid while the log still holds everything it
    /// applied; only the log after it is replayed. Null: recover from the newest snapshot.
    /// </param>
    public Replica(MemberState member, CancellationToken serverStopping, Action<long>? onFlushed = null, bool follower = false, CarriedState? carried = null)
    {
        options = member.Options;
        time = member.Time;
        loggerFactory = member.LoggerFactory;
        this.member = member;
        var log = member.Log;
        Log = log;
        Stats = member.Stats;
        logger = loggerFactory.CreateLogger<Replica>();
        stopping = CancellationTokenSource.CreateLinkedTokenSource(serverStopping);
        (Tree, RestoredSessions) = carried is null ? Recover(member.Snapshots, log, logger) : CatchUp(carried.Tree, carried.Sessions, carried.Tree.LastProcessedZxid, log, logger);
        Sessions = new SessionTracker(options.TickTime, options.ServerId, member.Secret.Value, time);
        foreach (var (id, timeout) in RestoredSessions)
        {
            // A session that was alive gets a full timeout from now before its ephemerals go.
            Sessions.Track(id, timeout);
        }

        // Everything recovered is on disk; for a standalone member that is what committed means.
        Gate = new CommitGate(Math.Max(Tree.LastProcessedZxid, log.LastZxid));
        Flusher = new LogFlusher(log, onFlushed ?? Gate.CommitThrough, member.Fail, loggerFactory.CreateLogger<LogFlusher>());
        Processor = new RequestProcessor(Tree, log, Sessions, Gate, Flusher, options, Stats, time, loggerFactory.CreateLogger<RequestProcessor>());
        Snapshotter = new Snapshotter(Tree, Sessions, log, member.Snapshots, follower ? Flusher.WhenFlushed : Gate.WhenCommitted, options, loggerFactory.CreateLogger<Snapshotter>())
        {
            Stopping = stopping.Token,
        };
        Processor.Committed = Snapshotter.Committed;
    }

    public DataTree Tree { get; }

    public SessionTracker Sessions { get; }

    public IReadOnlyDictionary<long, int> RestoredSessions { get; }

    public CommitGate Gate { get; }

    public LogFlusher Flusher { get; }

    public RequestProcessor Processor { get; }

    public Snapshotter Snapshotter { get; }

    public TransactionLog Log { get; }

    public ServerStats Stats { get; }

    /// <summary>Cancelled when the period ends; every connection of the period closes with it.</summary>
    public CancellationToken Stopping => stopping.Token;

    /// <summary>The context client connections of this period share.</summary>
    public ServerContext? Context { get; private set; }

    /// <summary>Starts the request thread and the flusher.</summary>
    public void Start()
    {
        var token = stopping.Token;
        loops.Add(member.Supervise(Flusher.RunAsync(token), "log flusher", logger, token));
        loops.Add(member.Supervise(Processor.RunAsync(token), "request thread", logger, token));
    }

    /// <summary>
    /// Starts session expiry and the container reaper, which only the member that decides may run: a standalone
    /// member, or an ensemble's leader once its epoch is established.
    /// </summary>
    public void StartOwnerDuties()
    {
        var token = stopping.Token;
        loops.Add(member.Supervise(Sessions.RunExpiryAsync(s => Processor.EnqueueAsync(new ExpireSessionWork(s.Id), token), token), "session expiry", logger, token));
        loops.Add(member.Supervise(new ContainerReaper(Processor, Tree, options, time, loggerFactory.CreateLogger<ContainerReaper>()).RunAsync(token), "container reaper", logger, token));
    }

    /// <summary>Opens the period to clients.</summary>
    public void Serve(IServingRole role, Func<IReadOnlyCollection<ClientConnection>> connections, string dataDir, string logDir)
    {
        var words = new FourLetterWords(options, Processor, Sessions, Stats, Tree, role, connections, dataDir, logDir);
        Context = new ServerContext(options, Processor, Sessions, Stats, time, words, loggerFactory.CreateLogger<ClientConnection>(), stopping.Token);
    }

    /// <summary>
    /// After <see cref="DisposeAsync"/>: the tree and sessions for the next period, without the watches of this
    /// period's connections, which are all closed.
    /// </summary>
    public CarriedState Carry()
    {
        Tree.Watches.Clear();
        return new CarriedState(Tree, new Dictionary<long, int>(Sessions.Snapshot()));
    }

    public async ValueTask DisposeAsync()
    {
        Context = null;
        await stopping.CancelAsync();
        await Task.WhenAll(loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Snapshotter.Running.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stopping.Dispose();
    }

    /// <summary>The newest valid snapshot, then every logged transaction after it (tolerantly: the snapshot is fuzzy).</summary>
    private static (DataTree Tree, Dictionary<long, int> Sessions) Recover(SnapshotStore snapshots, TransactionLog transactionLog, ILogger logger)
    {
        using var snapshot = snapshots.OpenLatestValid();
        if (snapshot is null)
        {
            return CatchUp(new DataTree(), [], 0, transactionLog, logger);
        }

        var (sessionTable, tree) = SnapshotContent.Read(snapshot.Content);
        LogSnapshotLoaded(logger, snapshot.Zxid);
        return CatchUp(tree, sessionTable, snapshot.Zxid, transactionLog, logger);
    }

    /// <summary>
    /// Replays every logged transaction after <paramref name="from"/> (a snapshot's zxid, or the last one a carried
    /// tree applied), keeping the session table in step with createSession and closeSession.
    /// </summary>
    private static (DataTree Tree, Dictionary<long, int> Sessions) CatchUp(
        DataTree tree, Dictionary<long, int> sessionTable, long from, TransactionLog transactionLog, ILogger logger)
    {
        var replayed = 0;
        var ignored = new List<WatchNotification>();
        foreach (var entry in transactionLog.ReadAfter(from))
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

        LogCaughtUp(logger, from, replayed, tree.LastProcessedZxid);
        return (tree, sessionTable);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded the snapshot at zxid 0x{Zxid:x}")]
    private static partial void LogSnapshotLoaded(ILogger logger, long zxid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Replayed {Replayed} logged transactions after 0x{From:x}, now at 0x{Zxid:x}")]
    private static partial void LogCaughtUp(ILogger logger, long from, int replayed, long zxid);
}
