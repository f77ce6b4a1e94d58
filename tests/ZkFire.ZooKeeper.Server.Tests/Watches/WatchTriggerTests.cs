using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Tests.Data;
using ZkFire.ZooKeeper.Server.Watches;

namespace ZkFire.ZooKeeper.Server.Tests.Watches;

/// <summary>The events the data tree fires through its watch manager, in ZooKeeper's order.</summary>
public sealed class WatchTriggerTests
{
    private readonly TreeDriver _driver = new();
    private readonly RecordingWatcher _a = new(1);
    private readonly RecordingWatcher _b = new(2);

    private WatchManager Watches => _driver.Tree.Watches;

    private List<(IWatcher, EventType, string)> Events() =>
        [.. _driver.Notifications.Select(n => (n.Watcher, n.Type, n.Path))];

    [Fact]
    public void Create_tells_the_znodes_exists_watchers_before_the_parents_child_watchers()
    {
        _driver.Create("/p");
        _driver.Notifications.Clear();
        Watches.AddChildWatch("/p", _b);
        Watches.AddDataWatch("/p/c", _a);

        _driver.Create("/p/c");

        Assert.Equal([(_a, EventType.NodeCreated, "/p/c"), (_b, EventType.NodeChildrenChanged, "/p")], Events());
    }

    [Fact]
    public void A_watcher_set_by_getData_and_exists_is_told_once_and_only_once()
    {
        _driver.Create("/a");
        Watches.AddDataWatch("/a", _a);
        Watches.AddDataWatch("/a", _a);

        _driver.SetData("/a", [1]);
        _driver.SetData("/a", [2]);

        Assert.Equal([(_a, EventType.NodeDataChanged, "/a")], Events());
        Assert.False(Watches.Has("/a", _a, WatcherType.Any));
    }

    [Fact]
    public void Delete_tells_each_watcher_of_the_znode_once_then_the_parents_child_watchers()
    {
        _driver.Create("/p");
        _driver.Create("/p/c");
        _driver.Notifications.Clear();
        Watches.AddDataWatch("/p/c", _a);
        Watches.AddChildWatch("/p/c", _a);
        Watches.AddChildWatch("/p/c", _b);
        Watches.AddChildWatch("/p", _b);

        _driver.Delete("/p/c");

        Assert.Equal(
            [(_a, EventType.NodeDeleted, "/p/c"), (_b, EventType.NodeDeleted, "/p/c"), (_b, EventType.NodeChildrenChanged, "/p")],
            Events());
        Assert.Equal((0, 0), (Watches.WatchCount, Watches.Counts.Watchers));
    }

    [Fact]
    public void SetAcl_fires_nothing()
    {
        _driver.Create("/a");
        Watches.AddDataWatch("/a", _a);
        Watches.AddChildWatch("/a", _a);

        _driver.SetAcl("/a", WellKnownAcls.ReadAclUnsafe);

        Assert.Empty(_driver.Notifications);
        Assert.Equal(2, Watches.WatchCount);
    }

    [Fact]
    public void A_multis_events_come_in_op_order()
    {
        _driver.Create("/a");
        _driver.Notifications.Clear();
        Watches.AddPersistentWatch("/", _a, AddWatchMode.PersistentRecursive);

        _driver.Multi(
            (OpCode.Create, _driver.CreateTxn("/a/b")),
            (OpCode.SetData, _driver.SetDataTxn("/a", [1])),
            (OpCode.Delete, new DeleteTxn("/a/b")));

        Assert.Equal(
            [(_a, EventType.NodeCreated, "/a/b"), (_a, EventType.NodeDataChanged, "/a"), (_a, EventType.NodeDeleted, "/a/b")],
            Events());
    }

    [Fact]
    public void Closing_a_session_fires_deletes_for_its_ephemerals()
    {
        _driver.Create("/e", ephemeralOwner: 0x55);
        _driver.Notifications.Clear();
        Watches.AddDataWatch("/e", _a);
        Watches.AddChildWatch("/", _b);

        _driver.CloseSession(0x55);

        Assert.Equal([(_a, EventType.NodeDeleted, "/e"), (_b, EventType.NodeChildrenChanged, "/")], Events());
    }

    [Fact]
    public void A_persistent_watch_sees_its_znode_and_its_children_list_and_stays()
    {
        Watches.AddPersistentWatch("/p", _a, AddWatchMode.Persistent);

        _driver.Create("/p");
        _driver.Create("/p/c");
        _driver.Create("/p/c/deeper");
        _driver.SetData("/p/c", [1]);
        _driver.SetData("/p", [1]);
        _driver.Delete("/p/c/deeper");
        _driver.Delete("/p/c");
        _driver.Delete("/p");
        _driver.Create("/p");

        Assert.Equal(
            [
                (_a, EventType.NodeCreated, "/p"), (_a, EventType.NodeChildrenChanged, "/p"), (_a, EventType.NodeDataChanged, "/p"),
                (_a, EventType.NodeChildrenChanged, "/p"), (_a, EventType.NodeDeleted, "/p"), (_a, EventType.NodeCreated, "/p"),
            ],
            Events());
    }

    [Fact]
    public void A_recursive_watch_sees_every_descendant_change_but_no_children_changed()
    {
        _driver.Create("/p");
        _driver.Notifications.Clear();
        Watches.AddPersistentWatch("/p", _a, AddWatchMode.PersistentRecursive);

        _driver.Create("/p/c");
        _driver.Create("/p/c/d");
        _driver.SetData("/p/c/d", [1]);
        _driver.Delete("/p/c/d");
        _driver.Create("/other");
        _driver.SetData("/p", [1]);

        Assert.Equal(
            [
                (_a, EventType.NodeCreated, "/p/c"), (_a, EventType.NodeCreated, "/p/c/d"), (_a, EventType.NodeDataChanged, "/p/c/d"),
                (_a, EventType.NodeDeleted, "/p/c/d"), (_a, EventType.NodeDataChanged, "/p"),
            ],
            Events());
    }

    [Fact]
    public void A_one_shot_watch_under_a_recursive_one_gives_one_event_and_is_consumed()
    {
        _driver.Create("/p");
        _driver.Create("/p/c");
        _driver.Notifications.Clear();
        Watches.AddPersistentWatch("/", _a, AddWatchMode.PersistentRecursive);
        Watches.AddDataWatch("/p/c", _a);

        _driver.SetData("/p/c", [1]);

        Assert.Equal([(_a, EventType.NodeDataChanged, "/p/c")], Events());
        Assert.False(Watches.Has("/p/c", _a, WatcherType.Data));
        Assert.True(Watches.Has("/", _a, WatcherType.Data));
    }

    [Fact]
    public void A_one_shot_watch_does_not_turn_a_persistent_one_into_a_one_shot()
    {
        _driver.Create("/a");
        _driver.Notifications.Clear();
        Watches.AddPersistentWatch("/a", _a, AddWatchMode.Persistent);
        Watches.AddDataWatch("/a", _a);

        _driver.SetData("/a", [1]);
        _driver.SetData("/a", [2]);

        Assert.Equal([(_a, EventType.NodeDataChanged, "/a"), (_a, EventType.NodeDataChanged, "/a")], Events());
    }

    [Fact]
    public void Watches_of_other_paths_and_other_watchers_are_left_alone()
    {
        _driver.Create("/a");
        _driver.Create("/b");
        _driver.Notifications.Clear();
        Watches.AddDataWatch("/a", _a);
        Watches.AddDataWatch("/b", _b);

        _driver.SetData("/a", [1]);

        Assert.Equal([(_a, EventType.NodeDataChanged, "/a")], Events());
        Assert.True(Watches.Has("/b", _b, WatcherType.Data));
        Assert.Equal((1, 1, 1), Watches.Counts);
    }
}
