using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Network;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Processing;
using ZkFire.ZooKeeper.Server.Sessions;

namespace ZkFire.ZooKeeper.Server;

/// <summary>What outlives a serving period: the settings, the files in dataDir, the counters and the clock.</summary>
internal sealed record MemberState(
    ZooKeeperServerOptions Options,
    TransactionLog Log,
    SnapshotStore Snapshots,
    SessionSecret Secret,
    ServerStats Stats,
    TimeProvider Time,
    ILoggerFactory LoggerFactory,
    Action<Exception> Fail,
    string DataDir,
    string LogDir,
    Func<IReadOnlyCollection<ClientConnection>> Connections)
{
    /// <summary>A new serving period with the state recovered from dataDir.</summary>
    public Replica Recover(CancellationToken serverStopping) => new(this, serverStopping);
}
