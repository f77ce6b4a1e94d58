using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Tests.Data;
using ZkFire.ZooKeeper.Server.Watches;

namespace ZkFire.ZooKeeper.Server.Tests.Watches;

/// <summary>removeWatches, checkWatches, connection close and the four-letter-word reports.</summary>
public sealed class WatchManagerTests
{
    private readonly WatchManager _watches = new();
    private readonly RecordingWatcher _a = new(1);
    private readonly RecordingWatcher _b = new(2);

    [Fact]
    public void Removing_or_checking_a_watch_that_does_not_exist_answers_false()
    {
        _watches.AddDataWatch("/a", _a);

        Assert.False(_watches.Has("/a", _a, WatcherType.Children));
        Assert.True(_watches.HasAny("/a", WatcherType.Data), "checkWatches answers for any session's watch, as ZooKeeper 3.8 does");
        Assert.False(_watches.Has("/a", _b, WatcherType.Any));
        Assert.False(_watches.Has("/b", _a, WatcherType.Any));
        Assert.False(_watches.Remove("/a", _a, WatcherType.Children, []));
        Assert.False(_watches.Remove("/a", _b, WatcherType.Any, []));
        Assert.True(_watches.Has("/a", _a, WatcherType.Data));
    }

    [Fact]
    public void Remove_takes_only_the_asked_type_and_any_takes_both()
    {
        _watches.AddDataWatch("/a", _a);
        _watches.AddChildWatch("/a", _a);
        var notifications = new List<WatchNotification>();

        Assert.True(_watches.Remove("/a", _a, WatcherType.Data, notifications));
        Assert.False(_watches.Has("/a", _a, WatcherType.Data));
        Assert.True(_watches.Has("/a", _a, WatcherType.Children));

        _watches.AddDataWatch("/a", _a);
        Assert.True(_watches.Remove("/a", _a, WatcherType.Any, notifications));
        Assert.False(_watches.Has("/a", _a, WatcherType.Any));

        // ZooKeeper's server sends nothing for a removal: the client raises the *WatchRemoved events itself.
        Assert.Empty(notifications);
        Assert.Equal(0, _watches.WatchCount);
    }

    [Fact]
    public void A_persistent_watch_is_in_both_tables_and_a_data_removal_leaves_its_child_half()
    {
        _watches.AddPersistentWatch("/a", _a, AddWatchMode.Persistent);
        Assert.True(_watches.Has("/a", _a, WatcherType.Data));
        Assert.True(_watches.Has("/a", _a, WatcherType.Children));

        _watches.Remove("/a", _a, WatcherType.Data, []);
        var notifications = new List<WatchNotification>();
        _watches.Trigger("/a", EventType.NodeDataChanged, notifications);
        _watches.Trigger("/a", EventType.NodeChildrenChanged, notifications);

        Assert.Equal([new WatchNotification(_a, EventType.NodeChildrenChanged, "/a")], notifications);
    }

    [Fact]
    public void RemoveAll_forgets_every_watch_of_the_watcher_only()
    {
        _watches.AddDataWatch("/a", _a);
        _watches.AddChildWatch("/b", _a);
        _watches.AddPersistentWatch("/", _a, AddWatchMode.PersistentRecursive);
        _watches.AddDataWatch("/a", _b);

        _watches.RemoveAll(_a);

        var notifications = new List<WatchNotification>();
        _watches.Trigger("/a", EventType.NodeDeleted, notifications);
        _watches.Trigger("/b", EventType.NodeChildrenChanged, notifications);
        Assert.Equal([new WatchNotification(_b, EventType.NodeDeleted, "/a")], notifications);
        Assert.Equal(0, _watches.WatchCount);
    }

    [Fact]
    public void Counts_report_like_wchs_and_mntr()
    {
        _watches.AddDataWatch("/a", _a);
        _watches.AddDataWatch("/b", _a);
        _watches.AddDataWatch("/a", _b);
        _watches.AddChildWatch("/c", _b);
        _watches.AddPersistentWatch("/d", _b, AddWatchMode.Persistent);

        // wchs counts the data table: 2 connections watching 3 paths, 4 watches; mntr's zk_watch_count adds the child table.
        Assert.Equal((4, 3, 2), _watches.Counts);
        Assert.Equal(6, _watches.WatchCount);
        var bySession = _watches.PathsBySession();
        Assert.Equal(["/a", "/b"], bySession[1].Order(StringComparer.Ordinal));
        Assert.Equal(["/a", "/d"], bySession[2].Order(StringComparer.Ordinal));
        Assert.Equal([1L, 2L], _watches.SessionsByPath()["/a"].Order());
    }

    [Fact]
    public void Two_connections_of_one_session_report_as_one()
    {
        var again = new RecordingWatcher(1);
        _watches.AddDataWatch("/a", _a);
        _watches.AddDataWatch("/b", again);

        Assert.Equal(["/a", "/b"], _watches.PathsBySession()[1].Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Recursive_watches_are_not_consumed_and_ancestors_stop_being_walked_when_they_go()
    {
        _watches.AddPersistentWatch("/", _a, AddWatchMode.PersistentRecursive);
        var notifications = new List<WatchNotification>();

        _watches.Trigger("/x/y", EventType.NodeCreated, notifications);
        _watches.Trigger("/x/y", EventType.NodeCreated, notifications);
        _watches.Remove("/", _a, WatcherType.Any, []);
        _watches.Trigger("/x/y", EventType.NodeCreated, notifications);

        Assert.Equal(2, notifications.Count);
    }
}
