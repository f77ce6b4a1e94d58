using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Server.Watches;

/// <summary>Who is told about a change: a client connection (or, in tests, anything that records events).</summary>
public interface IWatcher
{
    /// <summary>The session behind the watcher, for removeWatches/checkWatches and session expiry.</summary>
    long SessionId { get; }
}

/// <summary>One event for one watcher, to be delivered in the order produced.</summary>
public readonly record struct WatchNotification(IWatcher Watcher, EventType Type, string Path);

/// <summary>
/// One-shot data and child watches, and persistent / persistent-recursive watches (addWatch), with ZooKeeper
/// 3.8's trigger rules: a watcher set by both getData and exists on a node gets one notification; deleting a node
/// fires NodeDeleted to its data/exists watchers and NodeChildrenChanged to the parent's child watchers;
/// persistent-recursive watchers get created/changed/deleted for descendants and never NodeChildrenChanged.
/// </summary>
public sealed class WatchManager
{
    public WatchManager() => throw new NotImplementedException();

    public void AddDataWatch(string path, IWatcher watcher) => throw new NotImplementedException();

    public void AddChildWatch(string path, IWatcher watcher) => throw new NotImplementedException();

    public void AddPersistentWatch(string path, IWatcher watcher, AddWatchMode mode) => throw new NotImplementedException();

    /// <summary>Collects the notifications a change fires, removing the one-shot watches it consumed.</summary>
    public void Trigger(string path, EventType type, List<WatchNotification> notifications) => throw new NotImplementedException();

    /// <summary>removeWatches: returns false (NoWatcher) when the watcher had no watch of that type on the path.</summary>
    public bool Remove(string path, IWatcher watcher, WatcherType type, List<WatchNotification> notifications) => throw new NotImplementedException();

    /// <summary>checkWatches: whether the watcher has a watch of that type on the path.</summary>
    public bool Has(string path, IWatcher watcher, WatcherType type) => throw new NotImplementedException();

    /// <summary>Forgets every watch of a watcher (its connection closed).</summary>
    public void RemoveAll(IWatcher watcher) => throw new NotImplementedException();

    /// <summary>Number of watches, and paths watched, for the wchs / mntr four-letter words.</summary>
    public (int Watches, int Paths, int Watchers) Counts => throw new NotImplementedException();

    /// <summary>Watched paths by session, for wchc/wchp style reports and the dump word.</summary>
    public IReadOnlyDictionary<long, IReadOnlyCollection<string>> PathsBySession() => throw new NotImplementedException();
}
