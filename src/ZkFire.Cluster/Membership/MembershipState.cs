namespace ZkFire.Cluster.Membership;

/// <summary>Where a <see cref="ClusterMembership"/> stands; see its class comment for the transitions.</summary>
public enum MembershipState
{
    Active,
    Suspended,
    Fenced,
    Closed,
}
