namespace ZkFire.ZooKeeper.Server.Quorum.Election;

/// <summary>The waits of fast leader election, defaulted as in ZooKeeper 3.8.</summary>
internal sealed record ElectionTimings
{
    /// <summary>
    /// How long a member whose vote has a quorum waits for a better notification before it settles; also the first
    /// re-send interval (ZooKeeper's minNotificationInterval defaults to finalizeWait).
    /// </summary>
    public TimeSpan FinalizeWait { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The ceiling of the re-send interval, which doubles each time nothing arrives.</summary>
    public TimeSpan MaxNotificationInterval { get; init; } = TimeSpan.FromSeconds(60);
}
