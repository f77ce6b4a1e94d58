using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Auth;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Sessions;
using ZkFire.ZooKeeper.Server.Watches;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>
/// The single request thread: every request, in arrival order, is validated, turned into a transaction when it writes
/// (logged, then applied to the data tree) or answered from the tree when it reads, and its outputs (watch events
/// first, then the reply) pass through the <see cref="CommitGate"/>. One thread makes the order of zxids, replies
/// and events the order of arrival without any locking of the tree.
/// </summary>
/// <remarks>
/// In an ensemble the leader works the same way, applying each transaction as soon as it is logged and proposed: the
/// gate holds every output until a quorum has the transaction, and a member that stops leading rebuilds its tree from
/// its log, so nothing uncommitted is ever seen outside. A follower forwards writes to the leader and applies what the
/// leader commits (RequestProcessor.Follower.cs).
/// </remarks>
internal sealed partial class RequestProcessor
{
    /// <summary>
    /// Requests waiting for the request thread (ZooKeeper's globalOutstandingLimit): a full queue holds back the
    /// connections' read loops, which bounds the memory queued requests take.
    /// </summary>
    private const int QueueCapacity = 1000;

    private readonly Channel<Work> queue = Channel.CreateBounded<Work>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly DataTree tree;
    private readonly TransactionLog log;
    private readonly SessionTracker sessions;
    private readonly CommitGate gate;
    private readonly LogFlusher flusher;
    private readonly TxnPreparer preparer;
    private readonly AuthProviders schemes;
    private readonly ZooKeeperServerOptions options;
    private readonly ServerStats stats;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly List<WatchNotification> notifications = [];

    /// <summary>Each session's current connection (request thread only).</summary>
    private readonly Dictionary<long, IClientChannel> owners = [];

    private long lastZxid;

    public RequestProcessor(
        DataTree tree,
        TransactionLog log,
        SessionTracker sessions,
        CommitGate gate,
        LogFlusher flusher,
        ZooKeeperServerOptions options,
        ServerStats stats,
        TimeProvider time,
        ILogger logger)
    {
        this.tree = tree;
        this.log = log;
        this.sessions = sessions;
        this.gate = gate;
        this.flusher = flusher;
        this.options = options;
        this.stats = stats;
        this.time = time;
        this.logger = logger;
        preparer = new TxnPreparer(tree, sessions, options);
        schemes = new AuthProviders(options.SuperDigest);
        lastZxid = Math.Max(tree.LastProcessedZxid, log.LastZxid);
    }

    /// <summary>Called on the request thread after every logged transaction (the snapshot policy).</summary>
    public Action? Committed { get; set; }

    /// <summary>An ensemble's leader: called on the request thread with every transaction it logs, to propose it.</summary>
    public Action<long, byte[]>? Proposed { get; set; }

    /// <summary>The zxid the next transaction follows (a new leader starts its epoch's counter at zero).</summary>
    public void StartEpoch(long epoch) => Interlocked.Exchange(ref lastZxid, epoch << 32);

    /// <summary>The zxid of the last transaction (written by the request thread, read by the four-letter words).</summary>
    public long LastZxid => Interlocked.Read(ref lastZxid);

    public ValueTask EnqueueAsync(Work work, CancellationToken cancellationToken) => queue.Writer.WriteAsync(work, cancellationToken);

    /// <summary>Runs <paramref name="inspect"/> on the request thread, where the tree, the watches and the sessions hold still.</summary>
    public async Task<T> InspectAsync<T>(Func<T> inspect, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        await EnqueueAsync(new InspectWork(() =>
        {
            try
            {
                result.SetResult(inspect());
            }
            catch (Exception ex)
            {
                result.SetException(ex);
            }
        }), cancellationToken);
        return await result.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Processes work until cancelled. A failure to log or apply a transaction stops the loop (and the server): the
    /// tree and the log would no longer agree, which is what ZooKeeper's fail-stop on such errors prevents.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var work in queue.Reader.ReadAllAsync(cancellationToken))
            {
                preparer.Reset();
                Process(work);
                await gate.WhenNotCongested().WaitAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Logs and applies a transaction that no client asked for (recovery clean-up): the close of a session that owns
    /// ephemerals but is not in the session table. Request thread only (before the loop starts).
    /// </summary>
    public void CloseOrphanedSession(long sessionId) => Write(sessionId, 0, OpCode.CloseSession, _ => preparer.CloseSession(sessionId));

    private void Process(Work work)
    {
        switch (work)
        {
            case PacketWork packet:
                Packet(packet);
                break;
            case ConnectWork connect:
                Connect(connect.Channel, connect.Request);
                break;
            case ExpireSessionWork expire:
                Expire(expire.SessionId);
                break;
            case ChannelClosedWork closed:
                tree.Watches.RemoveAll(closed.Channel);
                if (owners.TryGetValue(closed.Channel.SessionId, out var owner) && owner == closed.Channel)
                {
                    owners.Remove(closed.Channel.SessionId);
                }

                break;
            case DeleteContainerWork delete:
                LogReaping(logger, delete.Path);
                Write(0, 0, OpCode.DeleteContainer, header => preparer.DeleteContainer(delete.Path, header));
                break;
            case InspectWork inspect:
                inspect.Action();
                break;
            case CommittedWork committed:
                ApplyCommitted(committed.Header, committed.Txn);
                break;
            case RevalidatedWork revalidated:
                Revalidated(revalidated.SessionId, revalidated.Valid);
                break;
            case SyncedWork synced:
                Synced(synced.SessionId, synced.Xid);
                break;
            case RemoteSessionWork remote:
                CreateRemoteSession(remote.SessionId, remote.Timeout);
                break;
            default:
                throw new InvalidOperationException($"Unknown work {work.GetType().Name}.");
        }
    }

    /// <summary>
    /// ZooKeeperServer.processConnectRequest: a new session (its createSession is a logged transaction, so the connect
    /// response waits for the flush), or the takeover of an existing one by id and password.
    /// </summary>
    private void Connect(IClientChannel channel, ConnectRequest request)
    {
        if (request.LastZxidSeen > tree.LastProcessedZxid)
        {
            // The client has seen a newer state than ours (it talked to another member): it must try elsewhere.
            LogClientAhead(logger, channel.RemoteAddress, request.LastZxidSeen, tree.LastProcessedZxid);
            Send(channel, null, close: true);
            return;
        }

        var timeout = Math.Clamp(request.Timeout, options.EffectiveMinSessionTimeout, options.EffectiveMaxSessionTimeout);
        // This member is never read-only; the flag is echoed only to clients that sent one.
        bool? readOnly = request.ReadOnly is null ? null : false;
        var id = request.SessionId;
        if (id != 0 && owners.Remove(id, out var previous))
        {
            // ZooKeeper closes the session's current connection before it checks the password.
            Send(previous, null, close: true);
        }

        if (Leader is not null)
        {
            FollowerConnect(channel, id, request.Passwd, timeout, readOnly);
            return;
        }

        if (id == 0)
        {
            var session = sessions.CreateSession(timeout);
            Write(session.Id, 0, OpCode.CreateSession, _ => new PreparedTxn(OpCode.CreateSession, new CreateSessionTxn(timeout)));
            AcceptSession(channel, session.Id, timeout, readOnly);
        }
        else if (sessions.CheckPassword(id, request.Passwd) && sessions.Touch(id, timeout))
        {
            AcceptSession(channel, id, timeout, readOnly);
        }
        else
        {
            RefuseSession(channel, id, readOnly);
        }
    }

    private void AcceptSession(IClientChannel channel, long sessionId, int timeout, bool? readOnly)
    {
        channel.AttachSession(sessionId, timeout);
        owners[sessionId] = channel;
        LogSessionEstablished(logger, sessionId, timeout, channel.RemoteAddress);
        Send(channel, Frames.Record(new ConnectResponse(0, timeout, sessionId, sessions.Password(sessionId), readOnly)));
    }

    private void RefuseSession(IClientChannel channel, long sessionId, bool? readOnly)
    {
        // Timeout 0 and session 0 tell the client its session expired; then the connection closes.
        LogSessionRefused(logger, sessionId, channel.RemoteAddress);
        Send(channel, Frames.Record(new ConnectResponse(0, 0, 0, new byte[16], readOnly)), close: true);
    }

    /// <summary>The leader: a follower's client gets a new session; the follower answers it once this commits.</summary>
    private void CreateRemoteSession(long sessionId, int timeout)
    {
        sessions.Track(sessionId, timeout);
        Write(sessionId, 0, OpCode.CreateSession, _ => new PreparedTxn(OpCode.CreateSession, new CreateSessionTxn(timeout)));
    }

    /// <summary>The session's deadline passed: its closeSession deletes its ephemerals, then its connection closes.</summary>
    private void Expire(long sessionId)
    {
        if (sessions.Get(sessionId) is null)
        {
            return;
        }

        LogSessionExpired(logger, sessionId);
        Write(sessionId, 0, OpCode.CloseSession, _ => preparer.CloseSession(sessionId));
        sessions.Remove(sessionId);
        if (owners.Remove(sessionId, out var channel))
        {
            Send(channel, null, close: true);
        }
    }

    /// <summary>
    /// Allocates the next zxid, prepares the transaction (a failed check becomes an ErrorTxn that still takes the zxid
    /// and is logged, as in ZooKeeper), logs it and applies it.
    /// </summary>
    private Written Write(long sessionId, int xid, OpCode type, Func<TxnHeader, PreparedTxn> prepare)
    {
        var header = new TxnHeader(sessionId, xid, lastZxid + 1, time.GetUtcNow().ToUnixTimeMilliseconds(), type);
        PreparedTxn txn;
        try
        {
            txn = prepare(header);
        }
        catch (KeeperException ex)
        {
            txn = new PreparedTxn(OpCode.Error, new ErrorTxn(ex.Code));
        }
        catch (JuteException)
        {
            // The body could not be decoded; ZooKeeper decodes it after assigning the zxid, so the zxid is spent.
            txn = new PreparedTxn(OpCode.Error, new ErrorTxn(ErrorCode.MarshallingError));
        }
        catch (Exception ex)
        {
            // ZooKeeper answers any other failure to prepare a request with a marshalling error, and carries on.
            LogPrepareFailed(logger, ex, type);
            txn = new PreparedTxn(OpCode.Error, new ErrorTxn(ErrorCode.MarshallingError));
        }

        header = header with { Type = txn.Type };
        var result = Commit(header, txn.Record);
        return new Written(result, txn.Record is ErrorTxn error ? error.Err : result.Err, txn.Type);
    }

    /// <summary>Appends to the log, applies to the tree and queues the watch events the change fires.</summary>
    private TxnResult Commit(TxnHeader header, object txn)
    {
        var bytes = TxnCodec.Serialize(header, txn);
        log.Append(header.Zxid, bytes);
        Interlocked.Exchange(ref lastZxid, header.Zxid);
        // Proposed before the flush can count the leader's own acknowledgement, so every learner has the proposal
        // queued before it can be committed.
        Proposed?.Invoke(header.Zxid, bytes);
        flusher.Appended();
        gate.Appended(header.Zxid);
        return Apply(header, txn, replaying: false);
    }

    /// <summary>Applies a logged transaction to the tree and queues the watch events it fires.</summary>
    private TxnResult Apply(TxnHeader header, object? txn, bool replaying)
    {
        notifications.Clear();
        var result = tree.Apply(header, txn, notifications, replaying);
        LogApplied(logger, header.Type, header.Zxid, header.ClientId, result.Err, notifications.Count);
        SendNotifications();
        Committed?.Invoke();
        return result;
    }

    private void SendNotifications()
    {
        foreach (var notification in notifications)
        {
            if (notification.Watcher is IClientChannel channel)
            {
                Send(channel, Frames.Notification(notification.Type, notification.Path));
            }
        }

        notifications.Clear();
    }

    /// <summary>What a logged transaction did; <see cref="Type"/> is the txn type (Error when it failed as a whole).</summary>
    private readonly record struct Written(TxnResult Result, ErrorCode Err, OpCode Type);

    private void Send(IClientChannel channel, byte[]? frame, bool close = false) => gate.Send(new Output(channel, frame, close));

    [LoggerMessage(Level = LogLevel.Information, Message = "Refusing session request from {Address}: it has seen zxid 0x{Seen:x}, ours is 0x{Ours:x}")]
    private static partial void LogClientAhead(ILogger logger, System.Net.IPAddress address, long seen, long ours);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Session 0x{SessionId:x} established with timeout {Timeout} ms for {Address}")]
    private static partial void LogSessionEstablished(ILogger logger, long sessionId, int timeout, System.Net.IPAddress address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Invalid session 0x{SessionId:x} from {Address}: wrong password or expired")]
    private static partial void LogSessionRefused(ILogger logger, long sessionId, System.Net.IPAddress address);

    [LoggerMessage(Level = LogLevel.Information, Message = "Expiring session 0x{SessionId:x}")]
    private static partial void LogSessionExpired(ILogger logger, long sessionId);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Applied {Type} 0x{Zxid:x} of session 0x{SessionId:x}: {Err}, {Events} events")]
    private static partial void LogApplied(ILogger logger, OpCode type, long zxid, long sessionId, ErrorCode err, int events);

    [LoggerMessage(Level = LogLevel.Error, Message = "Failed to prepare a {Type} request")]
    private static partial void LogPrepareFailed(ILogger logger, Exception exception, OpCode type);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleting candidate container {Path}")]
    private static partial void LogReaping(ILogger logger, string path);
}
