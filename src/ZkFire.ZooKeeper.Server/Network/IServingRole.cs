namespace ZkFire.ZooKeeper.Server.Network;

/// <summary>What this member is while it serves clients, as srvr, stat and mntr report it.</summary>
internal interface IServingRole
{
    /// <summary>ZooKeeper's mode name: standalone, leader or follower.</summary>
    string Mode { get; }

    /// <summary>The mntr lines only this role has (a leader's followers and proposals), after the common ones.</summary>
    IEnumerable<(string Key, object Value)> MonitorLines();
}

/// <summary>A member without an ensemble.</summary>
internal sealed class StandaloneRole : IServingRole
{
    public static readonly StandaloneRole Instance = new();

    public string Mode => "standalone";

    public IEnumerable<(string Key, object Value)> MonitorLines() => [];
}
