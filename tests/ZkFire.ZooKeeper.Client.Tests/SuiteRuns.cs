namespace ZkFire.ZooKeeper.Client.Tests;

// The client suite's runs, one per server. Kept apart from the fixtures, which other test projects (the cluster's)
// compile in as linked files.

[CollectionDefinition(Name)]
public sealed class ZkFireServerCollection : ICollectionFixture<ZkFireServerFixture>
{
    public const string Name = "ZkFire ZooKeeper server";
}

/// <summary>The same client suite against ZkFire's server: the client and the server agree with each other as each agrees with ZooKeeper.</summary>
[Collection(ZkFireServerCollection.Name)]
public sealed class ZkFireServerClientTests(ZkFireServerFixture server) : ZooKeeperClientSuite(server);

[CollectionDefinition(Name)]
public sealed class ApacheZooKeeperCollection : ICollectionFixture<ApacheZooKeeperFixture>
{
    public const string Name = "Apache ZooKeeper";
}

/// <summary>The client suite against real Apache ZooKeeper.</summary>
[Collection(ApacheZooKeeperCollection.Name)]
public sealed class ApacheZooKeeperClientTests(ApacheZooKeeperFixture server) : ZooKeeperClientSuite(server);
