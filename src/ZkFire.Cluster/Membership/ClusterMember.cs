namespace ZkFire.Cluster.Membership;

/// <summary>A registered node, as its membership znode describes it.</summary>
/// <param name="SessionId">The ZooKeeper session that owns the registration: it ends with that session.</param>
/// <param name="Incarnation">
/// The zxid that created the registration. It grows with every registration, so a node that left and came back
/// under the same id (after a crash or fencing) is told apart from its previous life.
/// </param>
public sealed record ClusterMember(
    string NodeId,
    string NoticeAddress,
    string Version,
    DateTimeOffset StartTime,
    long SessionId,
    long Incarnation);
