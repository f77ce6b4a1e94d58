namespace ZkFire.Jute;

/// <summary>WatcherEvent.type (Watcher.Event.EventType).</summary>
public enum EventType
{
    None = -1,
    NodeCreated = 1,
    NodeDeleted = 2,
    NodeDataChanged = 3,
    NodeChildrenChanged = 4,
    DataWatchRemoved = 5,
    ChildWatchRemoved = 6,
    PersistentWatchRemoved = 7,
}

/// <summary>WatcherEvent.state (Watcher.Event.KeeperState); Closed is raised by clients only.</summary>
public enum KeeperState
{
    Disconnected = 0,
    SyncConnected = 3,
    AuthFailed = 4,
    ConnectedReadOnly = 5,
    SaslAuthenticated = 6,
    Closed = 7,
    Expired = -112,
}

/// <summary>The type field of CheckWatchesRequest/RemoveWatchesRequest (Watcher.WatcherType).</summary>
public enum WatcherType
{
    Children = 1,
    Data = 2,
    Any = 3,
}

/// <summary>AddWatchRequest.mode (ZooDefs.AddWatchModes).</summary>
public enum AddWatchMode
{
    Persistent = 0,
    PersistentRecursive = 1,
}
