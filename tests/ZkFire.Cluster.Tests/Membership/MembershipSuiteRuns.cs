using ZkFire.ZooKeeper.Client.Tests;

namespace ZkFire.Cluster.Tests.Membership;

[CollectionDefinition(Name)]
public sealed class ZkFireServerCollection : ICollectionFixture<ZkFireServerFixture>
{
    public const string Name = "ZkFire ZooKeeper server";
}

[CollectionDefinition(Name)]
public sealed class ApacheZooKeeperCollection : ICollectionFixture<ApacheZooKeeperFixture>
{
    public const string Name = "Apache ZooKeeper";
}

/// <summary>Membership against ZkFire's own ZooKeeper server (the embedded member).</summary>
[Collection(ZkFireServerCollection.Name)]
public sealed class ZkFireServerMembershipTests(ZkFireServerFixture server) : MembershipSuite(server);

/// <summary>Membership against Apache ZooKeeper 3.8 (an external ensemble): the same code path.</summary>
[Collection(ApacheZooKeeperCollection.Name)]
public sealed class ApacheZooKeeperMembershipTests(ApacheZooKeeperFixture server) : MembershipSuite(server);
