using System.Globalization;
using Microsoft.Extensions.Logging;
using ZkFire.Cluster.Membership;
using ZkFire.Cluster.Notice;
using ZkFire.Cluster.Routing;
using ZkFire.ZooKeeper.Client;
using ZkFire.Xmpp;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Cluster;

/// <summary>
/// This node's part in the cluster: it joins the membership in ZooKeeper, links with the other members over the
/// notice channel and keeps the routing table, and it decides when the XMPP service may serve.
/// </summary>
/// <remarks>
/// <para>What the XMPP service does in each membership state (README, "Cluster"):</para>
/// <list type="bullet">
/// <item>Joining (at start, until registered): new streams are refused with <c>system-shutdown</c>.</item>
/// <item>Active: everything is served; stanzas for other nodes' sessions go over the notice channel.</item>
/// <item>Suspended (ZooKeeper unreachable, the session may live): everything keeps being served, including routing
/// to peers whose links are up; membership changes are not seen until ZooKeeper is back.</item>
/// <item>Fenced (session expired, or unreachable for a whole session timeout): peers have purged this node, so it
/// stops acting as a member: every stream ends with <c>reset</c>, new ones are refused with <c>system-shutdown</c>,
/// the routes of other nodes are dropped, until it has registered again.</item>
/// </list>
/// </remarks>
public sealed partial class ClusterNode : IAsyncDisposable
{

    // How long a node that (re)joined waits for its peers' sessions before serving clients: long enough for links on a
    // working network, short enough that an unreachable peer does not keep the node closed.
    private static readonly TimeSpan CopyWait = TimeSpan.FromSeconds(3);

    // How often the session count in this node's registration is brought up to date (when it changed): often
    // enough for operators, rare enough that logins stay off ZooKeeper's write path.
    private static readonly TimeSpan SessionCountInterval = TimeSpan.FromSeconds(5);

    private readonly ClusterMembershipOptions options;
    private readonly INoticeChannel channel;
    private readonly ILoggerFactory loggerFactory;
    private readonly ILogger logger;
    private readonly ClusterRoutes routes;
    private readonly CancellationTokenSource stopping = new();
    private readonly Dictionary<string, long> incarnations = new(StringComparer.Ordinal);
    private ClusterMembership? membership;
    private Task routing = Task.CompletedTask;
    private Task membershipLoop = Task.CompletedTask;

    public ClusterNode(ClusterMembershipOptions options, INoticeChannel channel, XmlLimits limits, ILoggerFactory loggerFactory)
    {
        this.options = options;
        this.channel = channel;
        this.loggerFactory = loggerFactory;
        logger = loggerFactory.CreateLogger<ClusterNode>();
        routes = new ClusterRoutes(options.NodeId, channel, limits, options.ForwardWait, TimeProvider.System, loggerFactory.CreateLogger<ClusterRoutes>());
    }

    /// <summary>The routes other nodes own; the XMPP service is built over them.</summary>
    public IRemoteRoutes Routes => routes;

    public MembershipState? State => membership?.State;

    /// <summary>The membership once joined; tests use it to expire the session from elsewhere.</summary>
    internal ClusterMembership? Membership => membership;

    /// <summary>Completes when the node cannot go on as a member (another live node holds its id).</summary>
    public Task Completion => membershipLoop;

    /// <summary>
    /// Opens the notice port and starts joining in the background; <paramref name="xmpp"/> (built over
    /// <see cref="Routes"/>) refuses streams until the node has joined.
    /// </summary>
    public async Task StartAsync(XmppServer xmpp, CancellationToken cancellationToken)
    {
        routes.Attach(xmpp.Router);
        xmpp.Suspend("This node is joining its cluster; try again shortly.");
        await channel.StartAsync(cancellationToken);
        routing = Task.Run(() => routes.RunAsync(stopping.Token), CancellationToken.None);
        membershipLoop = Task.Run(() => FollowMembershipAsync(xmpp, stopping.Token), CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        if (membership is not null)
        {
            // Leaving closes the session: peers see this node go at once rather than after the session timeout.
            await membership.DisposeAsync();
        }

        await channel.DisposeAsync();
        await Task.WhenAll(routing, membershipLoop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        stopping.Dispose();
    }

    private async Task FollowMembershipAsync(XmppServer xmpp, CancellationToken cancellationToken)
    {
        try
        {
            membership = await JoinAsync(cancellationToken);
            await ApplyMembersAsync(cancellationToken);
            await WaitForPeersSessionsAsync(cancellationToken);
            xmpp.Resume();
            LogJoined(logger, options.NodeId, options.NoticeAddress, membership.Members.Count);
            _ = PublishSessionCountAsync(xmpp, membership, cancellationToken);
            await foreach (var change in membership.Events.ReadAllAsync(cancellationToken))
            {
                switch (change)
                {
                    case NodeJoined or NodeLeft or Resumed when membership.State == MembershipState.Active:
                        await ApplyMembersAsync(cancellationToken);
                        break;
                    case Suspended:
                        LogSuspended(logger);
                        break;
                    case Fenced:
                        LogFenced(logger);
                        // Peers first: the streams closed next would otherwise tell some peers of their unbinds
                        // (a route removal) and not others of the unavailable presence that goes with it, depending
                        // on how far the links' teardown got; a peer that took the removal has nothing left to
                        // report offline when it sees this node leave. With no peers, the peers' own purge of this
                        // node's routes tells their users, once for all.
                        await routes.SetPeersAsync([], new HashSet<string>(), cancellationToken);
                        xmpp.Suspend("This node lost its cluster membership (its ZooKeeper session ended); reconnect, to this node once it has rejoined or to another node.");
                        incarnations.Clear();
                        break;
                    case Rejoined:
                        await ApplyMembersAsync(cancellationToken);
                        await WaitForPeersSessionsAsync(cancellationToken);
                        xmpp.Resume();
                        LogRejoined(logger, membership.Members.Count);
                        break;
                    default:
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static async Task PublishSessionCountAsync(XmppServer xmpp, ClusterMembership joined, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SessionCountInterval);
        var published = -1;
        try
        {
            do
            {
                var count = xmpp.Sessions.Count;
                if (count != published)
                {
                    joined.PublishSessionCount(count);
                    published = count;
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task<ClusterMembership> JoinAsync(CancellationToken cancellationToken)
    {
        // The first join backs off like the membership's own rejoins after fencing: one pair of settings for both.
        var backoff = options.MinRejoinBackoff;
        while (true)
        {
            try
            {
                return await ClusterMembership.JoinAsync(options, loggerFactory, cancellationToken);
            }
            catch (Exception ex) when (ex is KeeperException or IOException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                LogJoinFailed(logger, options.ConnectString, ex.Message, backoff);
                await Task.Delay(backoff, cancellationToken);
                backoff = options.NextRejoinBackoff(backoff);
            }
        }
    }

    /// <summary>
    /// Waits until every member's sessions have arrived (bounded by <see cref="CopyWait"/>), so that the first clients
    /// served after a (re)join find their contacts on other nodes, and their presence reaches them.
    /// </summary>
    private async Task WaitForPeersSessionsAsync(CancellationToken cancellationToken)
    {
        var others = membership!.Members.Keys.Where(id => id != options.NodeId).ToList();
        var deadline = DateTime.UtcNow + CopyWait;
        while (!routes.HasCopiesFrom(others) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, cancellationToken);
        }
    }

    /// <summary>Links with the current members other than this node; a member seen under a new incarnation restarted.</summary>
    private async ValueTask ApplyMembersAsync(CancellationToken cancellationToken)
    {
        var peers = new List<NoticePeer>();
        var restarted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in membership!.Members.Values)
        {
            if (member.NodeId == options.NodeId)
            {
                continue;
            }

            if (!TryParseAddress(member.NoticeAddress, out var host, out var port))
            {
                LogBadAddress(logger, member.NodeId, member.NoticeAddress);
                continue;
            }

            if (incarnations.TryGetValue(member.NodeId, out var known) && known != member.Incarnation)
            {
                restarted.Add(member.NodeId);
            }

            peers.Add(new NoticePeer(member.NodeId, host, port, member.Incarnation));
        }

        incarnations.Clear();
        foreach (var peer in peers)
        {
            incarnations[peer.NodeId] = peer.Incarnation;
        }

        await routes.SetPeersAsync(peers, restarted, cancellationToken);
    }

    /// <summary><c>host:port</c>, IPv6 as <c>[::1]:3004</c>.</summary>
    internal static bool TryParseAddress(string address, out string host, out int port)
    {
        var colon = address.LastIndexOf(':');
        host = colon > 0 ? address[..colon].Trim('[', ']') : string.Empty;
        port = 0;
        return host.Length > 0
            && int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is > 0 and <= 65535;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster: joined as {Node} (notice {Notice}); {Count} members")]
    private static partial void LogJoined(ILogger logger, string node, string notice, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: cannot join through ZooKeeper at {ConnectString} yet ({Reason}); retrying in {Backoff}")]
    private static partial void LogJoinFailed(ILogger logger, string connectString, string reason, TimeSpan backoff);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: ZooKeeper unreachable; serving on, membership changes unseen until it is back")]
    private static partial void LogSuspended(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: fenced (ZooKeeper session lost); closing every client stream until this node has rejoined")]
    private static partial void LogFenced(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster: rejoined; {Count} members; serving clients again")]
    private static partial void LogRejoined(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cluster: member {Node} registered an unusable notice address '{Address}'; not linking with it")]
    private static partial void LogBadAddress(ILogger logger, string node, string address);
}
