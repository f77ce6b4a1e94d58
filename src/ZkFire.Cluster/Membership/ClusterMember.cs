namespace ZkFire.Cluster.Membership;

/// <summary>A registered node, as its membership znode describes it.</summary>
/// <param name="SessionId">The ZooKeeper session that owns the registration: it ends with that session.</param>
/// <param name="Incarnation">
/// The zxid that created the registration. It grows with every registration, so a node that left and came back
/// under the same id (after a crash or fencing) is told apart from its previous life.
/// </param>
/// <param name="C2sAddress"><c>host:port</c> where XMPP clients connect; empty when the node did not say.</param>
/// <param name="ZooKeeperClientAddress">The node's embedded ZooKeeper member's client <c>host:port</c>; empty with an external ensemble.</param>
/// <param name="ZooKeeperMyId">That member's myid; 0 with an external ensemble.</param>
/// <param name="SessionCount">The node's client sessions as it last published them (see <see cref="ClusterMembership.PublishSessionCountAsync"/>).</param>
public sealed record ClusterMember(
    string NodeId,
    string NoticeAddress,
    string Version,
    DateTimeOffset StartTime,
    long SessionId,
    long Incarnation,
    string C2sAddress = "",
    string ZooKeeperClientAddress = "",
    int ZooKeeperMyId = 0,
    int SessionCount = 0);
