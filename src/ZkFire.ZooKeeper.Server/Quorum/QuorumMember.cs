namespace ZkFire.ZooKeeper.Server.Quorum;

/// <summary>One <c>server.N=host:quorumPort:electionPort</c> of zoo.cfg: a voting member of the ensemble.</summary>
public sealed record QuorumMember(long Id, string Host, int QuorumPort, int ElectionPort);
