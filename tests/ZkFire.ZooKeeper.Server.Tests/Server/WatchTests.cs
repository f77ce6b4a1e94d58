using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Server;

/// <summary>Watch events and their order relative to replies, which clients rely on.</summary>
public sealed class WatchTests : IAsyncLifetime
{
    private TestServer server = null!;
    private RawClient a = null!;
    private RawClient b = null!;

    public async Task InitializeAsync()
    {
        server = await TestServer.StartAsync();
        a = await server.ConnectAsync();
        b = await server.ConnectAsync();
    }

    public async Task DisposeAsync()
    {
        await a.DisposeAsync();
        await b.DisposeAsync();
        await server.DisposeAsync();
    }

    [Fact]
    public async Task The_event_precedes_the_reply_to_the_write_that_fired_it()
    {
        await a.CreateAsync("/n");
        await a.OkAsync<GetDataRequest, GetDataResponse>(OpCode.GetData, new GetDataRequest("/n", true));

        var (events, reply) = await a.CallAsync(OpCode.SetData, new SetDataRequest("/n", [1], -1));
        var (again, _) = await a.CallAsync(OpCode.SetData, new SetDataRequest("/n", [2], -1));

        Assert.Equal([new WatcherEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, "/n")], events.Select(e => e.Event));
        Assert.Equal(new ReplyHeader(SpecialXid.Notification, -1, ErrorCode.Ok), events[0].Header);
        Assert.Equal(ErrorCode.Ok, reply.Header.Err);
        Assert.Empty(again);
    }

    [Fact]
    public async Task Another_sessions_write_is_seen_after_its_event()
    {
        await a.CreateAsync("/n");
        await a.ExistsAsync("/n", watch: true);
        await a.OkAsync<GetDataRequest, GetDataResponse>(OpCode.GetData, new GetDataRequest("/n", true));

        await b.OkAsync<SetDataRequest, SetDataResponse>(OpCode.SetData, new SetDataRequest("/n", [1], -1));
        var (events, reply) = await a.CallAsync(OpCode.GetData, new GetDataRequest("/n", false));

        // A data watch and an exists watch on one node: one notification.
        Assert.Equal([EventType.NodeDataChanged], events.Select(e => e.Event.Type));
        Assert.Equal([1], reply.Read<GetDataResponse>().Data!);
    }

    [Fact]
    public async Task Exists_watch_on_a_missing_node_waits_for_its_creation_but_get_data_sets_none()
    {
        Assert.Null(await a.ExistsAsync("/later", watch: true));
        Assert.Equal(ErrorCode.NoNode, await a.ErrorOfAsync(OpCode.GetData, new GetDataRequest("/never", true)));

        await b.CreateAsync("/later");
        await b.CreateAsync("/never");
        var (events, _) = await a.CallAsync(OpCode.Sync, new SyncRequest("/"));

        Assert.Equal([new WatcherEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/later")], events.Select(e => e.Event));
    }

    [Fact]
    public async Task Deleting_a_node_fires_one_node_deleted_and_children_changed_on_the_parent()
    {
        await a.CreateAsync("/p");
        await a.CreateAsync("/p/n");
        await a.OkAsync<GetChildrenRequest, GetChildrenResponse>(OpCode.GetChildren, new GetChildrenRequest("/p", true));
        await a.OkAsync<GetDataRequest, GetDataResponse>(OpCode.GetData, new GetDataRequest("/p/n", true));
        await a.OkAsync<GetChildrenRequest, GetChildrenResponse>(OpCode.GetChildren, new GetChildrenRequest("/p/n", true));

        await b.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/p/n", -1));
        var (events, _) = await a.CallAsync(OpCode.Sync, new SyncRequest("/p"));

        Assert.Equal(
            [new WatcherEvent(EventType.NodeDeleted, KeeperState.SyncConnected, "/p/n"), new WatcherEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, "/p")],
            events.Select(e => e.Event));
    }

    [Fact]
    public async Task A_multis_events_arrive_in_op_order_before_its_reply()
    {
        await a.CreateAsync("/m");
        await a.ExistsAsync("/m/one", watch: true);
        await a.OkAsync<GetChildrenRequest, GetChildrenResponse>(OpCode.GetChildren, new GetChildrenRequest("/m", true));
        await a.OkAsync<GetDataRequest, GetDataResponse>(OpCode.GetData, new GetDataRequest("/m", true));

        var (events, reply) = await a.CallAsync(OpCode.Multi, new MultiRequest(
        [
            MultiOp.Create(new CreateRequest("/m/one", [], WellKnownAcls.OpenAclUnsafe, 0)),
            MultiOp.SetData(new SetDataRequest("/m", [1], -1)),
        ]));

        Assert.Equal(ErrorCode.Ok, reply.Header.Err);
        Assert.Equal(
            [(EventType.NodeCreated, "/m/one"), (EventType.NodeChildrenChanged, "/m"), (EventType.NodeDataChanged, "/m")],
            events.Select(e => (e.Event.Type, e.Event.Path)));
    }

    [Fact]
    public async Task Set_watches_fires_at_once_for_what_changed_since_the_clients_zxid()
    {
        await a.CreateAsync("/changed");
        await a.CreateAsync("/same");
        var seen = (await a.ExistsAsync("/same"))!.Value.Mzxid;
        await a.OkAsync<SetDataRequest, SetDataResponse>(OpCode.SetData, new SetDataRequest("/changed", [1], -1));

        await b.SendAsync(new RequestHeader(SpecialXid.SetWatches, OpCode.SetWatches), new SetWatches(seen, ["/changed", "/same", "/gone"], ["/same"], []));
        var received = new List<Packet>();
        while (received.LastOrDefault()?.Header.Xid != SpecialXid.SetWatches)
        {
            received.Add((await b.ReceiveAsync())!);
        }

        Assert.Equal(
            [(EventType.NodeDataChanged, "/changed"), (EventType.NodeDeleted, "/gone"), (EventType.NodeCreated, "/same")],
            received.SkipLast(1).Select(p => (p.Event.Type, p.Event.Path)));
        await a.OkAsync<SetDataRequest, SetDataResponse>(OpCode.SetData, new SetDataRequest("/same", [1], -1));
        var (events, _) = await b.CallAsync(OpCode.Sync, new SyncRequest("/"));
        Assert.Equal([(EventType.NodeDataChanged, "/same")], events.Select(e => (e.Event.Type, e.Event.Path)));
    }

    [Fact]
    public async Task Removing_or_checking_a_watch_that_does_not_exist_is_no_watcher()
    {
        await a.CreateAsync("/n");
        Assert.Equal(ErrorCode.NoWatcher, await a.ErrorOfAsync(OpCode.CheckWatches, new CheckWatchesRequest("/n", WatcherType.Any)));
        Assert.Equal(ErrorCode.NoWatcher, await a.ErrorOfAsync(OpCode.RemoveWatches, new RemoveWatchesRequest("/n", WatcherType.Data)));

        await a.OkAsync<GetDataRequest, GetDataResponse>(OpCode.GetData, new GetDataRequest("/n", true));
        Assert.Equal(ErrorCode.Ok, await a.ErrorOfAsync(OpCode.CheckWatches, new CheckWatchesRequest("/n", WatcherType.Data)));
        var (events, reply) = await a.CallAsync(OpCode.RemoveWatches, new RemoveWatchesRequest("/n", WatcherType.Data));

        // The server sends nothing for a removed watch: the client raises DataWatchRemoved itself.
        Assert.Equal(ErrorCode.Ok, reply.Header.Err);
        Assert.Empty(events);
        Assert.Equal(ErrorCode.NoWatcher, await a.ErrorOfAsync(OpCode.CheckWatches, new CheckWatchesRequest("/n", WatcherType.Data)));
        Assert.Equal(ErrorCode.MarshallingError, await a.ErrorOfAsync(OpCode.CheckWatches, new CheckWatchesRequest("/n", (WatcherType)9)));
    }

    [Fact]
    public async Task Persistent_recursive_watches_see_descendants_but_no_children_changes()
    {
        await a.CreateAsync("/tree");
        Assert.Equal(ErrorCode.Ok, (await a.OkAsync<AddWatchRequest, ErrorResponse>(OpCode.AddWatch, new AddWatchRequest("/tree", AddWatchMode.PersistentRecursive))).Err);
        Assert.Equal(ErrorCode.MarshallingError, await a.ErrorOfAsync(OpCode.AddWatch, new AddWatchRequest("/tree", (AddWatchMode)7)));

        await b.CreateAsync("/tree/c");
        await b.CreateAsync("/tree/c/d");
        await b.OkAsync<SetDataRequest, SetDataResponse>(OpCode.SetData, new SetDataRequest("/tree/c/d", [1], -1));
        await b.ErrorOfAsync(OpCode.Delete, new DeleteRequest("/tree/c/d", -1));
        var (events, _) = await a.CallAsync(OpCode.Sync, new SyncRequest("/"));

        Assert.Equal(
            [(EventType.NodeCreated, "/tree/c"), (EventType.NodeCreated, "/tree/c/d"), (EventType.NodeDataChanged, "/tree/c/d"), (EventType.NodeDeleted, "/tree/c/d")],
            events.Select(e => (e.Event.Type, e.Event.Path)));
    }
}
