namespace ZkFire.Cluster.Membership;

/// <summary>What <see cref="ClusterMembership.Events"/> reports, in the order it happened.</summary>
public abstract record MembershipEvent;

/// <summary>A node registered (this node too, first of all when it joins or rejoins).</summary>
public sealed record NodeJoined(ClusterMember Member) : MembershipEvent;

/// <summary>A node's registration vanished: it shut down, crashed and its session expired, or it was fenced.</summary>
public sealed record NodeLeft(ClusterMember Member) : MembershipEvent;

/// <summary>The connection to ZooKeeper dropped; the session may still be alive. Membership is unknown until <see cref="Resumed"/>.</summary>
public sealed record Suspended : MembershipEvent;

/// <summary>Reconnected within the session: the registration held and the member set is being brought up to date.</summary>
public sealed record Resumed : MembershipEvent;

/// <summary>
/// The session expired (or stayed unreachable for a whole session timeout): peers have declared this node dead and
/// purged its routes, so it must stop acting as a cluster member, closing its client sessions.
/// </summary>
public sealed record Fenced : MembershipEvent;

/// <summary>Registered again under a new session after <see cref="Fenced"/>; the member set follows as joins and leaves.</summary>
public sealed record Rejoined(long SessionId) : MembershipEvent;
