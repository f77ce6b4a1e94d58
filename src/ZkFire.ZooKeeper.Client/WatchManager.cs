using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

internal enum WatchKind
{
    Data,
    Exist,
    Child,
    Persistent,
    PersistentRecursive,
}

/// <summary>
/// The client's record of which watcher waits on which path, kept by the same rules as Java's ZKWatchManager:
/// one-shot watches are taken out when their event arrives, persistent ones stay; a watcher registered twice for
/// one path is told once. Registrations are applied on the reply path, in wire order with events, so an event is
/// always matched against exactly the watches the server had when it fired.
/// </summary>
internal sealed class WatchManager(Func<WatchedEvent, Task>? defaultWatcher)
{
    private static readonly WatchKind[] AllKinds = Enum.GetValues<WatchKind>();

    private readonly Dictionary<string, HashSet<Func<WatchedEvent, Task>>>[] _watches =
        [.. AllKinds.Select(_ => new Dictionary<string, HashSet<Func<WatchedEvent, Task>>>(StringComparer.Ordinal))];

    private readonly Lock _lock = new();

    public void Add(WatchKind kind, string clientPath, Func<WatchedEvent, Task> watcher)
    {
        lock (_lock)
        {
            var map = _watches[(int)kind];
            if (!map.TryGetValue(clientPath, out var set))
            {
                map[clientPath] = set = [];
            }

            set.Add(watcher);
        }
    }

    /// <summary>
    /// The watchers an event goes to. A state change (type None) goes to the default watcher and every registered
    /// one, which all stay registered: they will be re-armed on the server after a reconnect.
    /// </summary>
    public IReadOnlyCollection<Func<WatchedEvent, Task>> Materialize(EventType type, string? clientPath)
    {
        var result = new HashSet<Func<WatchedEvent, Task>>();
        lock (_lock)
        {
            if (type == EventType.None || clientPath is null)
            {
                if (defaultWatcher is not null)
                {
                    result.Add(defaultWatcher);
                }

                foreach (var map in _watches)
                {
                    foreach (var set in map.Values)
                    {
                        result.UnionWith(set);
                    }
                }

                return result;
            }

            switch (type)
            {
                case EventType.NodeCreated or EventType.NodeDataChanged:
                    Take(WatchKind.Data, clientPath, result);
                    Take(WatchKind.Exist, clientPath, result);
                    break;
                case EventType.NodeDeleted:
                    Take(WatchKind.Data, clientPath, result);
                    Take(WatchKind.Exist, clientPath, result);
                    Take(WatchKind.Child, clientPath, result);
                    break;
                case EventType.NodeChildrenChanged:
                    Take(WatchKind.Child, clientPath, result);
                    break;
            }

            AddPersistent(type, clientPath, result);
        }

        return result;
    }

    /// <summary>Every watched path by kind, for SetWatches after a reconnect.</summary>
    public List<string>[] Snapshot()
    {
        lock (_lock)
        {
            return [.. _watches.Select(map => map.Keys.ToList())];
        }
    }

    /// <summary>
    /// Applies a removeWatches/checkWatches reply as Java's removeWatcher does: NoWatcher unless this client holds
    /// such a watch; the server's error wins unless <paramref name="local"/>, which removes the watches locally
    /// even when the server could not be asked. Returns the resulting error and the removed watchers by event.
    /// </summary>
    public (ErrorCode Err, List<(EventType Type, HashSet<Func<WatchedEvent, Task>> Watchers)> Removed) Remove(
        string clientPath, Func<WatchedEvent, Task>? watcher, WatcherType type, bool local, ErrorCode rc)
    {
        var removed = new List<(EventType, HashSet<Func<WatchedEvent, Task>>)>();
        lock (_lock)
        {
            WatchKind[] searched = type switch
            {
                WatcherType.Children => [WatchKind.Child, WatchKind.Persistent, WatchKind.PersistentRecursive],
                WatcherType.Data => [WatchKind.Data, WatchKind.Exist, WatchKind.Persistent, WatchKind.PersistentRecursive],
                _ => AllKinds,
            };
            if (!searched.Any(kind => Contains(kind, clientPath, watcher)))
            {
                return (ErrorCode.NoWatcher, removed);
            }

            if (rc != ErrorCode.Ok && !local)
            {
                return (rc, removed);
            }

            if (type is WatcherType.Children or WatcherType.Any)
            {
                RemoveFrom(removed, EventType.ChildWatchRemoved, clientPath, watcher, WatchKind.Child);
            }

            if (type is WatcherType.Data or WatcherType.Any)
            {
                RemoveFrom(removed, EventType.DataWatchRemoved, clientPath, watcher, WatchKind.Data, WatchKind.Exist);
            }

            if (type is WatcherType.Any)
            {
                RemoveFrom(removed, EventType.PersistentWatchRemoved, clientPath, watcher,
                    WatchKind.Persistent, WatchKind.PersistentRecursive);
            }
        }

        return (removed.Count == 0 ? ErrorCode.NoWatcher : ErrorCode.Ok, removed);
    }

    private bool Contains(WatchKind kind, string path, Func<WatchedEvent, Task>? watcher) =>
        _watches[(int)kind].TryGetValue(path, out var set) && (watcher is null ? set.Count > 0 : set.Contains(watcher));

    private void RemoveFrom(
        List<(EventType, HashSet<Func<WatchedEvent, Task>>)> removed,
        EventType eventType,
        string path,
        Func<WatchedEvent, Task>? watcher,
        params WatchKind[] kinds)
    {
        var watchers = new HashSet<Func<WatchedEvent, Task>>();
        foreach (var kind in kinds)
        {
            var map = _watches[(int)kind];
            if (!map.TryGetValue(path, out var set))
            {
                continue;
            }

            if (watcher is null)
            {
                watchers.UnionWith(set);
                map.Remove(path);
            }
            else if (set.Remove(watcher))
            {
                watchers.Add(watcher);
                if (set.Count == 0)
                {
                    map.Remove(path);
                }
            }
        }

        if (watchers.Count > 0)
        {
            removed.Add((eventType, watchers));
        }
    }

    private void Take(WatchKind kind, string path, HashSet<Func<WatchedEvent, Task>> result)
    {
        if (_watches[(int)kind].Remove(path, out var set))
        {
            result.UnionWith(set);
        }
    }

    /// <summary>
    /// Persistent watches on the path itself, and recursive ones on the path or any ancestor. Recursive watches
    /// never see NodeChildrenChanged: the server does not send it for them, and a children event that arrives for
    /// a one-shot child watch is not theirs.
    /// </summary>
    private void AddPersistent(EventType type, string path, HashSet<Func<WatchedEvent, Task>> result)
    {
        if (_watches[(int)WatchKind.Persistent].TryGetValue(path, out var exact))
        {
            result.UnionWith(exact);
        }

        if (type == EventType.NodeChildrenChanged)
        {
            return;
        }

        var recursive = _watches[(int)WatchKind.PersistentRecursive];
        if (recursive.Count == 0)
        {
            return;
        }

        for (string? p = path; p is not null; p = ZnodePath.Parent(p))
        {
            if (recursive.TryGetValue(p, out var set))
            {
                result.UnionWith(set);
            }
        }
    }
}
