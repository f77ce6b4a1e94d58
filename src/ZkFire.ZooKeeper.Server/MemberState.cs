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

    /// <summary>
    /// Awaits a loop that must run until <paramref name="stopping"/>; if it ends with an error before that, the
    /// member stops serving for good (<see cref="Fail"/>), as ZooKeeper exits when one of its threads dies.
    /// </summary>
    public async Task Supervise(Task loop, string name, ILogger logger, CancellationToken stopping)
    {
        try
        {
            await loop;
        }
        catch (Exception ex) when (!stopping.IsCancellationRequested)
        {
            SupervisionLog.LoopFailed(logger, ex, name);
            Fail(ex);
        }
    }

}

internal static partial class SupervisionLog
{
    [LoggerMessage(Level = LogLevel.Critical, Message = "The {Loop} failed; the server stops")]
    public static partial void LoopFailed(ILogger logger, Exception exception, string loop);
}
