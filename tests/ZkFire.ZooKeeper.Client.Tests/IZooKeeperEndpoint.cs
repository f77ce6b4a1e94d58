namespace ZkFire.ZooKeeper.Client.Tests;

/// <summary>A running ZooKeeper-compatible server the client suite talks to.</summary>
public interface IZooKeeperEndpoint
{
    /// <summary>Hosts only (the suite appends chroots): <c>127.0.0.1:port</c>.</summary>
    string ConnectString { get; }

    /// <summary>Why no server could be started (the tests then skip), or null.</summary>
    string? UnavailableReason { get; }
}
