namespace ZkFire.Cluster.Membership;

/// <summary>How a node joins the cluster: where the coordination service is, and what the node tells its peers.</summary>
public sealed record ClusterMembershipOptions
{
    public const string DefaultRoot = "/zkfire";

    /// <summary>ZooKeeper connect string (<c>host:port[,host:port...][/chroot]</c>): the embedded member or an ensemble.</summary>
    public required string ConnectString { get; init; }

    /// <summary>The cluster's root znode; members register under <c>Root/nodes</c>. Clusters sharing an ensemble use different roots.</summary>
    public string Root { get; init; } = DefaultRoot;

    /// <summary>This node's name in the cluster, unique among live nodes; one znode name (no '/').</summary>
    public required string NodeId { get; init; }

    /// <summary><c>host:port</c> of this node's notice channel, where peers reach it.</summary>
    public required string NoticeAddress { get; init; }

    /// <summary><c>host:port</c> where XMPP clients connect to this node, shown to operators; null when not told.</summary>
    public string? C2sAddress { get; init; }

    /// <summary>
    /// Client <c>host:port</c> of this node's embedded ZooKeeper member, so tools find an embedded ensemble's members
    /// through the registrations; null when the node uses an external ensemble.
    /// </summary>
    public string? ZooKeeperClientAddress { get; init; }

    /// <summary>The embedded member's myid; null with an external ensemble.</summary>
    public int? ZooKeeperMyId { get; init; }

    public string Version { get; init; } =
        typeof(ClusterMembershipOptions).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    public DateTimeOffset StartTime { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>
    /// Requested ZooKeeper session timeout (the server clamps it): how long after a crash peers see this node leave,
    /// and how long a partitioned node keeps serving before it fences itself.
    /// </summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// A file (in the node's data directory) where the current session id is kept, so that after a crash the
    /// restarted node recognises its own registration, still alive until the old session expires, and waits for it
    /// instead of refusing to start. Null: any existing registration of <see cref="NodeId"/> is refused.
    /// </summary>
    public string? SessionFile { get; init; }

    /// <summary>
    /// First wait between attempts to rejoin after fencing (and, in <see cref="ClusterNode"/>, to join at start); it
    /// doubles up to <see cref="MaxRejoinBackoff"/>.
    /// </summary>
    public TimeSpan MinRejoinBackoff { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRejoinBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a stanza for another node's session may wait for room in that node's notice queue (back-pressure on
    /// its sender); past it the sender gets a <c>resource-constraint</c> error. Long enough to ride out a burst,
    /// shorter than a hung link takes to be noticed and redialled.
    /// </summary>
    public TimeSpan ForwardWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The wait after <paramref name="backoff"/> between join attempts: double, up to <see cref="MaxRejoinBackoff"/>.</summary>
    internal TimeSpan NextRejoinBackoff(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxRejoinBackoff.Ticks));
}
