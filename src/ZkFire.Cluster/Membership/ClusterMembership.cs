using System.Collections.Immutable;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Cluster.Membership.Messages;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.Cluster.Membership;

/// <summary>
/// This node's membership of the cluster, kept in ZooKeeper: an ephemeral znode <c>Root/nodes/NodeId</c> whose data
/// (a <c>MemberRecord</c> protobuf) names the node's notice and c2s addresses, version, start time, embedded ZooKeeper
/// member and session count (<see cref="PublishSessionCount"/>), and a watch on
/// <c>Root/nodes</c> and on each member, so <see cref="Members"/> follows the cluster and <see cref="Events"/>
/// reports every change in order.
/// </summary>
/// <remarks>
/// <para>States (<see cref="State"/>), each entered with the event of the same name:</para>
/// <list type="bullet">
/// <item><b>Active</b>: registered, the member set is current.</item>
/// <item><b>Suspended</b>: the connection to ZooKeeper dropped but the session may live on: the registration
/// holds for peers, the member set is unknown until the connection is back. The XMPP layer keeps serving. Back to
/// Active with <see cref="Resumed"/>, or on to Fenced.</item>
/// <item><b>Fenced</b>: the session expired, or stayed unreachable for a whole session timeout (then it has expired
/// on the servers, or is about to, and peers treat this node as dead either way). The XMPP layer must stop acting as
/// a cluster member and close its client sessions. The membership retries with a new session and backoff until it
/// registers again (<see cref="Rejoined"/>, then Active) or is disposed.</item>
/// <item><b>Closed</b>: disposed; the session is closed, so peers see this node leave at once.</item>
/// </list>
/// <para>
/// A node id is held by one live process at a time: joining refuses (<see cref="NodeIdInUseException"/>) while
/// another session owns the znode, except the session recorded in <see cref="ClusterMembershipOptions.SessionFile"/>,
/// this node's own before a crash, whose expiry it waits for (at most about one session timeout).
/// </para>
/// <para>
/// <see cref="Events"/> is read by one consumer. Every member in <see cref="Members"/> (this node included) was
/// announced by a <see cref="NodeJoined"/>, the first ones before <see cref="JoinAsync"/> returns.
/// </para>
/// </remarks>
public sealed partial class ClusterMembership : IAsyncDisposable
{
    private readonly ClusterMembershipOptions options;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly string nodesPath;
    private readonly string ownPath;
    private readonly MemberRecord ownRecord;
    private readonly Channel<Work> work = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<MembershipEvent> events = Channel.CreateUnbounded<MembershipEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource stopping = new();
    private readonly Lock disposeLock = new();
    private ImmutableDictionary<string, ClusterMember> members = ImmutableDictionary.Create<string, ClusterMember>(StringComparer.Ordinal);
    private Session? session;
    private (long Id, TimeSpan Timeout)? previousSession;
    private volatile MembershipState state = MembershipState.Active;
    private Task loop = Task.CompletedTask;
    private Task? disposing;

    private ClusterMembership(ClusterMembershipOptions options, ILoggerFactory? loggerFactory)
    {
        this.options = options;
        this.loggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        logger = this.loggerFactory.CreateLogger<ClusterMembership>();
        nodesPath = NodesPath(options.Root);
        ownPath = nodesPath + "/" + options.NodeId;
        ownRecord = new MemberRecord
        {
            NodeId = options.NodeId,
            NoticeAddress = options.NoticeAddress,
            Version = options.Version,
            StartTimeUnixMs = options.StartTime.ToUnixTimeMilliseconds(),
            C2SAddress = options.C2sAddress ?? "",
            ZookeeperClientAddress = options.ZooKeeperClientAddress ?? "",
            ZookeeperMyId = options.ZooKeeperMyId ?? 0,
        };
        previousSession = SessionFile.Read(options.SessionFile);
    }

    public MembershipState State => state;

    /// <summary>The live members by node id, this node included; while not Active, the last set known.</summary>
    public IReadOnlyDictionary<string, ClusterMember> Members => Volatile.Read(ref members);

    /// <summary>Membership changes and state transitions, in order, for one reader; completed when disposed.</summary>
    public ChannelReader<MembershipEvent> Events => events.Reader;

    /// <summary>The ZooKeeper session that owns this node's registration now.</summary>
    public long SessionId => Volatile.Read(ref session)?.Client.SessionId ?? 0;

    /// <summary>The client of the current session; tests use it to expire the session from elsewhere.</summary>
    internal ZooKeeperClient? CurrentClient => Volatile.Read(ref session)?.Client;

    /// <summary>
    /// Connects, creates the cluster root if needed, registers this node and reads the member set.
    /// </summary>
    /// <exception cref="NodeIdInUseException">Another live node holds <see cref="ClusterMembershipOptions.NodeId"/>.</exception>
    public static async Task<ClusterMembership> JoinAsync(
        ClusterMembershipOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateNodeId(options.NodeId);
        ZnodePath.ThrowIfInvalid(options.Root);
        var membership = new ClusterMembership(options, loggerFactory);
        try
        {
            await membership.RegisterAsync(cancellationToken).ConfigureAwait(false);
            membership.loop = Task.Run(membership.RunAsync, CancellationToken.None);
            return membership;
        }
        catch
        {
            await membership.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Leaves the cluster: closes the session, so peers see this node go at once.</summary>
    public ValueTask DisposeAsync()
    {
        lock (disposeLock)
        {
            disposing ??= CloseAsync();
        }

        return new ValueTask(disposing);
    }

    private async Task CloseAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (session is not null)
        {
            await session.Client.DisposeAsync().ConfigureAwait(false);
            // Only a registration this session made is gone with it; a join refused or still waiting leaves the
            // file naming the session a later start must still recognise.
            if (previousSession?.Id == session.Client.SessionId)
            {
                SessionFile.Delete(options.SessionFile);
            }
        }

        state = MembershipState.Closed;
        events.Writer.TryComplete();
        stopping.Dispose();
        LogLeft(logger, options.NodeId);
    }

    private static void ValidateNodeId(string nodeId)
    {
        if (string.IsNullOrEmpty(nodeId) || nodeId.Contains('/', StringComparison.Ordinal) || nodeId is "." or ".."
            || nodeId.Any(char.IsControl))
        {
            throw new ArgumentException($"A node id must be one znode name (not empty, no '/', not '.' or '..'): '{nodeId}'.", nameof(nodeId));
        }
    }

    /// <summary>
    /// A new session: connect, make sure the root exists, register this node, read the member set. Used to join and
    /// to rejoin after fencing.
    /// </summary>
    private async Task RegisterAsync(CancellationToken cancellationToken)
    {
        var generation = (session?.Generation ?? 0) + 1;
        var client = await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = options.ConnectString,
            SessionTimeout = options.SessionTimeout,
            LoggerFactory = loggerFactory,
            DefaultWatcher = e =>
            {
                if (e.Type == EventType.None)
                {
                    Post(new SessionChanged(generation, e.State));
                }

                return Task.CompletedTask;
            },
        }, cancellationToken).ConfigureAwait(false);
        var next = new Session(client, generation, this);
        var replaced = Interlocked.Exchange(ref session, next);
        if (replaced is not null)
        {
            await replaced.Client.DisposeAsync().ConfigureAwait(false);
        }

        await EnsurePathAsync(client, options.Root, cancellationToken).ConfigureAwait(false);
        await EnsurePathAsync(client, nodesPath, cancellationToken).ConfigureAwait(false);
        await CreateOwnNodeAsync(client, cancellationToken).ConfigureAwait(false);
        SessionFile.Write(options.SessionFile, client.SessionId, client.SessionTimeout);
        previousSession = (client.SessionId, client.SessionTimeout);
        LogRegistered(logger, options.NodeId, ownPath, client.SessionId);
        await ReconcileAsync(next, rereadAll: true, cancellationToken).ConfigureAwait(false);
    }

    private static async Task EnsurePathAsync(ZooKeeperClient client, string path, CancellationToken cancellationToken)
    {
        for (var slash = path.IndexOf('/', 1); ; slash = path.IndexOf('/', slash + 1))
        {
            var prefix = slash < 0 ? path : path[..slash];
            if (prefix.Length > 1 && await client.ExistsAsync(prefix, cancellationToken: cancellationToken).ConfigureAwait(false) is null)
            {
                try
                {
                    await client.CreateAsync(prefix, null, WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: cancellationToken)
                        .ConfigureAwait(false);
                }
                catch (KeeperException e) when (e.Code == ErrorCode.NodeExists)
                {
                    // Another node created it first.
                }
            }

            if (slash < 0)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Creates the ephemeral registration. If the znode exists: ours already (a create retried after a lost
    /// connection), our previous session's (wait for it to expire), or another live node's (refuse).
    /// </summary>
    private async Task CreateOwnNodeAsync(ZooKeeperClient client, CancellationToken cancellationToken)
    {
        DateTime? deadline = null;
        // Unknown until a create succeeds here: a registration found already ours was made by an earlier attempt.
        publishedSessionCount = -1;
        while (true)
        {
            try
            {
                var count = Volatile.Read(ref sessionCount);
                await client.CreateAsync(ownPath, OwnRecord(count), WellKnownAcls.OpenAclUnsafe, CreateMode.Ephemeral, cancellationToken: cancellationToken)
                    .ConfigureAwait(false);
                publishedSessionCount = count;
                return;
            }
            catch (KeeperException e) when (e.Code == ErrorCode.NodeExists)
            {
            }
            catch (KeeperException e) when (e.Code == ErrorCode.ConnectionLoss)
            {
                // The create may have been applied: the next round finds the znode owned by this session.
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
                continue;
            }

            var vanished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            GetDataResponse holder;
            try
            {
                holder = await client.GetDataAsync(ownPath, e =>
                {
                    if (e.Type != EventType.None)
                    {
                        vanished.TrySetResult();
                    }

                    return Task.CompletedTask;
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (KeeperException e) when (e.Code == ErrorCode.NoNode)
            {
                continue;
            }

            var owner = holder.Stat.EphemeralOwner;
            if (owner == client.SessionId)
            {
                return;
            }

            if (previousSession is not { } previous || previous.Id != owner)
            {
                throw new NodeIdInUseException(options.NodeId, owner, Describe(holder.Data));
            }

            // ZooKeeper expires sessions in tick-sized buckets after the timeout: allow some slack past it.
            deadline ??= DateTime.UtcNow + previous.Timeout + TimeSpan.FromSeconds(Math.Max(2, previous.Timeout.TotalSeconds / 2));
            LogWaitingForPreviousSession(logger, options.NodeId, owner, previous.Timeout);
            var left = deadline.Value - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new NodeIdInUseException(options.NodeId, owner,
                    $"its registration outlived this node's previous session timeout of {previous.Timeout}");
            }

            try
            {
                await vanished.Task.WaitAsync(left, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Checked again at the top of the loop, then refused.
            }
        }
    }

    private static string Describe(byte[]? data)
    {
        try
        {
            var record = MemberRecord.Parser.ParseFrom(data ?? []);
            return $"notice {record.NoticeAddress}, version {record.Version}, started {DateTimeOffset.FromUnixTimeMilliseconds(record.StartTimeUnixMs):O}";
        }
        catch (InvalidProtocolBufferException)
        {
            return "unreadable registration data";
        }
    }

    private void Post(Work item) => work.Writer.TryWrite(item);

    private void Raise(MembershipEvent e) => events.Writer.TryWrite(e);

    /// <summary>A ZooKeeper session of this membership, with the watchers bound to it (one instance each, so a watch set twice fires once).</summary>
    private sealed class Session
    {
        public Session(ZooKeeperClient client, int generation, ClusterMembership owner)
        {
            Client = client;
            Generation = generation;
            ChildrenWatcher = e =>
            {
                if (e.Type != EventType.None)
                {
                    owner.Post(new Reconcile(generation));
                }

                return Task.CompletedTask;
            };
            MemberWatcher = e =>
            {
                if (e.Type != EventType.None && e.Path is not null)
                {
                    owner.Post(new MemberChanged(generation, e.Path[(e.Path.LastIndexOf('/') + 1)..]));
                }

                return Task.CompletedTask;
            };
        }

        public ZooKeeperClient Client { get; }

        public int Generation { get; }

        public Func<WatchedEvent, Task> ChildrenWatcher { get; }

        public Func<WatchedEvent, Task> MemberWatcher { get; }
    }

    private abstract record Work(int Generation);

    private sealed record Reconcile(int Generation) : Work(Generation);

    private sealed record MemberChanged(int Generation, string NodeId) : Work(Generation);

    private sealed record SessionChanged(int Generation, KeeperState State) : Work(Generation);

    private sealed record SuspendedTooLong(int Generation, int Suspension) : Work(Generation);

    private sealed record SessionCountChanged(int Generation) : Work(Generation);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {NodeId} registered as {Path} (session 0x{SessionId:x})")]
    private static partial void LogRegistered(ILogger logger, string nodeId, string path, long sessionId);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Node id {NodeId} is still registered by this node's previous session 0x{SessionId:x}; waiting for it to expire (timeout {Timeout})")]
    private static partial void LogWaitingForPreviousSession(ILogger logger, string nodeId, long sessionId, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster node {NodeId} left the cluster")]
    private static partial void LogLeft(ILogger logger, string nodeId);
}
