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
/// <remarks>
/// Like ZooKeeper's DataTree this keeps two tables, data (getData/exists) and child (getChildren); addWatch puts
/// a persistent watch in both. One deliberate difference: ZooKeeper 3.8 keeps one mode per watcher and path, so
/// a getData watch set after addWatch on the same path silently turns the persistent watch into a one-shot
/// (ZOOKEEPER-4466, fixed in 3.9); here the modes coexist, as 3.9 and every client expect.
/// Thread-safe: read requests add watches, connection threads remove them, the writer triggers them.
/// </remarks>
public sealed class WatchManager
{
    private readonly Lock _lock = new();
    private readonly WatchTable _data = new();
    private readonly WatchTable _child = new();

    public void AddDataWatch(string path, IWatcher watcher)
    {
        lock (_lock)
        {
            _data.Add(path, watcher, WatchModes.Standard);
        }
    }

    public void AddChildWatch(string path, IWatcher watcher)
    {
        lock (_lock)
        {
            _child.Add(path, watcher, WatchModes.Standard);
        }
    }

    public void AddPersistentWatch(string path, IWatcher watcher, AddWatchMode mode)
    {
        var modes = mode == AddWatchMode.PersistentRecursive ? WatchModes.Recursive : WatchModes.Persistent;
        lock (_lock)
        {
            _data.Add(path, watcher, modes);
            _child.Add(path, watcher, modes);
        }
    }

    /// <summary>
    /// Collects the notifications a change fires, removing the one-shot watches it consumed. As in ZooKeeper's
    /// DataTree: NodeCreated and NodeDataChanged go to the data watches of the path, NodeChildrenChanged to its
    /// child watches, and NodeDeleted to both, each watcher once (child watches suppressed for watchers the data
    /// table already told).
    /// </summary>
    public void Trigger(string path, EventType type, List<WatchNotification> notifications)
    {
        ArgumentNullException.ThrowIfNull(notifications);
        HashSet<IWatcher>? told = null;
        lock (_lock)
        {
            if (type != EventType.NodeChildrenChanged)
            {
                _data.Collect(path, type, ref told, notifications);
            }

            if (type is EventType.NodeChildrenChanged or EventType.NodeDeleted)
            {
                _child.Collect(path, type, ref told, notifications);
            }
        }
    }

    /// <summary>
    /// removeWatches: returns false (NoWatcher) when the watcher had no watch of that type on the path. A data
    /// removal also takes the data half of a persistent watch, as in ZooKeeper. ZooKeeper's server sends no event
    /// for a removal (the client raises DataWatchRemoved/ChildWatchRemoved itself), so nothing is added to
    /// <paramref name="notifications"/>; the parameter stays for a server that would.
    /// </summary>
    public bool Remove(string path, IWatcher watcher, WatcherType type, List<WatchNotification> notifications)
    {
        lock (_lock)
        {
            // Non-short-circuit: Any removes from both tables.
            return (type != WatcherType.Data && _child.Remove(path, watcher))
                | (type != WatcherType.Children && _data.Remove(path, watcher));
        }
    }

    /// <summary>Whether this watcher has a watch of that type on the path.</summary>
    internal bool Has(string path, IWatcher watcher, WatcherType type)
    {
        lock (_lock)
        {
            return (type != WatcherType.Data && _child.Contains(path, watcher))
                || (type != WatcherType.Children && _data.Contains(path, watcher));
        }
    }

    /// <summary>
    /// checkWatches as ZooKeeper 3.8 answers it: whether any watcher has a watch of that type on the path, so a
    /// session asking about another session's watch gets OK (observed on 3.8.0; clients rely on the server's answer).
    /// </summary>
    public bool HasAny(string path, WatcherType type)
    {
        lock (_lock)
        {
            return (type != WatcherType.Data && _child.Watches(path)) || (type != WatcherType.Children && _data.Watches(path));
        }
    }

    /// <summary>Forgets every watch of a watcher (its connection closed).</summary>
    /// <summary>Forgets every watch: their connections are gone (an ensemble member's serving period ended).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _data.Clear();
            _child.Clear();
        }
    }

    public void RemoveAll(IWatcher watcher)
    {
        lock (_lock)
        {
            _data.RemoveAll(watcher);
            _child.RemoveAll(watcher);
        }
    }

    /// <summary>
    /// Number of watches, and paths watched, for the wchs / mntr four-letter words. Like ZooKeeper's wchs this
    /// counts the data table only (getData, exists and persistent watches): "Watchers connections watching Paths
    /// paths / Total watches:Watches".
    /// </summary>
    public (int Watches, int Paths, int Watchers) Counts
    {
        get
        {
            lock (_lock)
            {
                return (_data.WatchCount, _data.PathCount, _data.WatcherCount);
            }
        }
    }

    /// <summary>mntr's zk_watch_count: data and child watches together (ZooKeeper's DataTree.getWatchCount).</summary>
    public int WatchCount
    {
        get
        {
            lock (_lock)
            {
                return _data.WatchCount + _child.WatchCount;
            }
        }
    }

    /// <summary>Watched paths by session, for wchc/wchp style reports and the dump word (data table, as ZooKeeper reports).</summary>
    public IReadOnlyDictionary<long, IReadOnlyCollection<string>> PathsBySession()
    {
        lock (_lock)
        {
            return _data.PathsBySession();
        }
    }

    /// <summary>Sessions watching each path, for wchp (data table, as ZooKeeper reports).</summary>
    public IReadOnlyDictionary<string, IReadOnlyCollection<long>> SessionsByPath()
    {
        lock (_lock)
        {
            return _data.SessionsByPath();
        }
    }

    [Flags]
    private enum WatchModes : byte
    {
        None = 0,
        Standard = 1,
        Persistent = 2,
        Recursive = 4,
    }

    /// <summary>One of ZooKeeper's two watch managers: path → watchers with their modes, and the reverse index.</summary>
    private sealed class WatchTable
    {
        private readonly Dictionary<string, Dictionary<IWatcher, WatchModes>> _byPath = new(StringComparer.Ordinal);
        private readonly Dictionary<IWatcher, HashSet<string>> _byWatcher = new(ReferenceEqualityComparer.Instance);

        // Ancestors are only looked at while some recursive watch exists, so plain watches cost one lookup.
        private int _recursive;

        public int PathCount => _byPath.Count;

        public int WatcherCount => _byWatcher.Count;

        public int WatchCount { get; private set; }

        public void Add(string path, IWatcher watcher, WatchModes mode)
        {
            if (!_byPath.TryGetValue(path, out var watchers))
            {
                watchers = new Dictionary<IWatcher, WatchModes>(ReferenceEqualityComparer.Instance);
                _byPath.Add(path, watchers);
            }

            watchers.TryGetValue(watcher, out var old);
            Set(path, watcher, watchers, old, old | mode);
        }

        public bool Remove(string path, IWatcher watcher)
        {
            if (!_byPath.TryGetValue(path, out var watchers) || !watchers.TryGetValue(watcher, out var old))
            {
                return false;
            }

            Set(path, watcher, watchers, old, WatchModes.None);
            return true;
        }

        public bool Contains(string path, IWatcher watcher) =>
            _byPath.TryGetValue(path, out var watchers) && watchers.ContainsKey(watcher);

        public bool Watches(string path) => _byPath.TryGetValue(path, out var watchers) && watchers.Count > 0;

        public void Clear()
        {
            _byPath.Clear();
            _byWatcher.Clear();
            _recursive = 0;
            WatchCount = 0;
        }

        public void RemoveAll(IWatcher watcher)
        {
            if (!_byWatcher.TryGetValue(watcher, out var paths))
            {
                return;
            }

            foreach (var path in paths.ToArray())
            {
                Remove(path, watcher);
            }
        }

        /// <summary>
        /// ZooKeeper's WatchManager.triggerWatch: the path's own watches fire (one-shots are consumed), then while
        /// recursive watches exist each ancestor's recursive watches fire for anything but NodeChildrenChanged.
        /// </summary>
        /// <param name="told">Watchers already notified of this change; allocated on the first, as most changes have none.</param>
        public void Collect(string path, EventType type, ref HashSet<IWatcher>? told, List<WatchNotification> notifications)
        {
            List<IWatcher>? consumed = null;
            // An empty table (the common case) is not even looked up.
            var atPath = true;
            for (string? at = _byPath.Count > 0 ? path : null; at is not null; at = _recursive > 0 ? ZnodePath.Parent(at) : null, atPath = false)
            {
                if (!_byPath.TryGetValue(at, out var watchers))
                {
                    continue;
                }

                foreach (var (watcher, modes) in watchers)
                {
                    var fires = (atPath && (modes & (WatchModes.Standard | WatchModes.Persistent)) != 0)
                        || ((modes & WatchModes.Recursive) != 0 && type != EventType.NodeChildrenChanged);
                    if (atPath && (modes & WatchModes.Standard) != 0)
                    {
                        (consumed ??= []).Add(watcher);
                    }

                    if (fires && (told ??= new HashSet<IWatcher>(ReferenceEqualityComparer.Instance)).Add(watcher))
                    {
                        notifications.Add(new WatchNotification(watcher, type, path));
                    }
                }

                if (atPath && consumed is not null)
                {
                    foreach (var watcher in consumed)
                    {
                        Set(path, watcher, watchers, watchers[watcher], watchers[watcher] & ~WatchModes.Standard);
                    }
                }
            }
        }

        public Dictionary<long, IReadOnlyCollection<string>> PathsBySession()
        {
            var report = new Dictionary<long, IReadOnlyCollection<string>>();
            foreach (var (watcher, paths) in _byWatcher)
            {
                if (report.TryGetValue(watcher.SessionId, out var known))
                {
                    ((HashSet<string>)known).UnionWith(paths);
                }
                else
                {
                    report.Add(watcher.SessionId, new HashSet<string>(paths, StringComparer.Ordinal));
                }
            }

            return report;
        }

        public Dictionary<string, IReadOnlyCollection<long>> SessionsByPath() =>
            _byPath.ToDictionary(
                entry => entry.Key,
                entry => (IReadOnlyCollection<long>)entry.Value.Keys.Select(watcher => watcher.SessionId).ToHashSet(),
                StringComparer.Ordinal);

        /// <summary>Changes one watcher's modes on one path, keeping both indexes and the counters in step.</summary>
        private void Set(string path, IWatcher watcher, Dictionary<IWatcher, WatchModes> watchers, WatchModes old, WatchModes modes)
        {
            _recursive += ((modes & WatchModes.Recursive) != 0 ? 1 : 0) - ((old & WatchModes.Recursive) != 0 ? 1 : 0);
            if (modes != WatchModes.None)
            {
                watchers[watcher] = modes;
                if (old == WatchModes.None)
                {
                    WatchCount++;
                    if (!_byWatcher.TryGetValue(watcher, out var paths))
                    {
                        paths = new HashSet<string>(StringComparer.Ordinal);
                        _byWatcher.Add(watcher, paths);
                    }

                    paths.Add(path);
                }

                return;
            }

            watchers.Remove(watcher);
            WatchCount--;
            if (watchers.Count == 0)
            {
                _byPath.Remove(path);
            }

            var watched = _byWatcher[watcher];
            watched.Remove(path);
            if (watched.Count == 0)
            {
                _byWatcher.Remove(watcher);
            }
        }
    }
}
