using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

/// <summary>
/// What a watcher is told. <see cref="EventType.None"/> events report a session state change (Disconnected,
/// SyncConnected, Expired, AuthFailed, Closed) and have no path; every other type names the znode, chroot
/// stripped.
/// </summary>
public sealed record WatchedEvent(EventType Type, KeeperState State, string? Path);
