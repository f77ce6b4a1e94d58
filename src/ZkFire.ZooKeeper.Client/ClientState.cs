namespace ZkFire.ZooKeeper.Client;

/// <summary>Where a <see cref="ZooKeeperClient"/> stands; the last three are final.</summary>
public enum ClientState
{
    /// <summary>Looking for a server: before the first session, or after a connection dropped.</summary>
    Connecting,
    Connected,
    /// <summary>Connected to a server that lost its quorum; only reads work (needs <see cref="ZooKeeperClientOptions.CanBeReadOnly"/>).</summary>
    ConnectedReadOnly,
    /// <summary>The server reported the session expired: its ephemerals and watches are gone.</summary>
    Expired,
    /// <summary>The server refused the credentials of <see cref="ZooKeeperClient.AddAuthAsync"/> and closed the connection.</summary>
    AuthFailed,
    /// <summary>Disposed: the session was closed.</summary>
    Closed,
}
