using System.Text;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client.Tests;

/// <summary>
/// The client's behaviour against a real server. Abstract over the server (<see cref="IZooKeeperEndpoint"/>) so the
/// same suite can run against Apache ZooKeeper and ZkFire's embedded server. Each test works under its own root
/// znode and is bounded by <see cref="Timeout"/>.
/// </summary>
public abstract class ZooKeeperClientSuite(IZooKeeperEndpoint server) : IAsyncLifetime
{
    private static readonly IReadOnlyList<Acl> Open = WellKnownAcls.OpenAclUnsafe;

    // A bound that stops a hung test, not a speed requirement: generous for a loaded 2-core machine.
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(90));
    private readonly List<ZooKeeperClient> _clients = [];
    private readonly string _root = "/client-suite-" + Guid.NewGuid().ToString("N");
    private bool _rootCreated;

    protected CancellationToken Timeout => _timeout.Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _timeout.Dispose();
    }

    // ---- plain operations --------------------------------------------------------------------------------------

    [SkippableFact]
    public async Task Create_then_get_data_round_trips_data_and_stat()
    {
        var zk = await ConnectAsync();
        var path = await zk.CreateAsync(P("a"), Bytes("hello"), Open, CreateMode.Persistent, cancellationToken: Timeout);

        var got = await zk.GetDataAsync(path, cancellationToken: Timeout);

        Assert.Equal(P("a"), path);
        Assert.Equal("hello", Encoding.UTF8.GetString(got.Data!));
        Assert.Equal(0, got.Stat.Version);
        Assert.Equal(5, got.Stat.DataLength);
        Assert.Equal(0, got.Stat.EphemeralOwner);
    }

    [SkippableFact]
    public async Task Create2_returns_the_stat_and_null_data_stays_null()
    {
        var zk = await ConnectAsync();
        var created = await zk.Create2Async(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        var got = await zk.GetDataAsync(P("a"), cancellationToken: Timeout);

        Assert.Equal(P("a"), created.Path);
        Assert.True(created.Stat.Czxid > 0);
        Assert.Equal(created.Stat, got.Stat);
        Assert.Null(got.Data);
    }

    [SkippableFact]
    public async Task Set_data_checks_and_bumps_the_version()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("a"), Bytes("1"), Open, CreateMode.Persistent, cancellationToken: Timeout);

        var stat = await zk.SetDataAsync(P("a"), Bytes("2"), 0, Timeout);
        var error = await Assert.ThrowsAsync<KeeperException>(() => zk.SetDataAsync(P("a"), Bytes("3"), 0, Timeout));
        var again = await zk.SetDataAsync(P("a"), Bytes("2"), -1, Timeout);

        Assert.Equal(1, stat.Version);
        Assert.Equal(ErrorCode.BadVersion, error.Code);
        Assert.Equal(P("a"), error.Path);
        Assert.Equal(2, again.Version);
    }

    [SkippableFact]
    public async Task Exists_gives_the_stat_or_null()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("a"), Bytes("xy"), Open, CreateMode.Persistent, cancellationToken: Timeout);

        Assert.Equal(2, (await zk.ExistsAsync(P("a"), cancellationToken: Timeout))?.DataLength);
        Assert.Null(await zk.ExistsAsync(P("missing"), cancellationToken: Timeout));
    }

    [SkippableFact]
    public async Task Errors_carry_their_code_and_client_path()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.CreateAsync(P("a/b"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        await AssertCode(ErrorCode.NodeExists, () => zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout));
        await AssertCode(ErrorCode.NoNode, () => zk.CreateAsync(P("x/y"), null, Open, CreateMode.Persistent, cancellationToken: Timeout));
        await AssertCode(ErrorCode.NoNode, () => zk.GetDataAsync(P("x"), cancellationToken: Timeout));
        await AssertCode(ErrorCode.NoNode, () => zk.DeleteAsync(P("x"), cancellationToken: Timeout));
        await AssertCode(ErrorCode.NotEmpty, () => zk.DeleteAsync(P("a"), cancellationToken: Timeout));
        await AssertCode(ErrorCode.BadVersion, () => zk.DeleteAsync(P("a/b"), 5, Timeout));
        var error = await AssertCode(ErrorCode.NoNode, () => zk.GetChildrenAsync(P("x"), cancellationToken: Timeout));
        Assert.Equal(P("x"), error.Path);
    }

    [SkippableFact]
    public async Task Invalid_paths_are_refused_before_sending()
    {
        var zk = await ConnectAsync();

        Assert.Throws<ArgumentException>(Synchronously(() => zk.GetDataAsync("no-slash", cancellationToken: Timeout)));
        Assert.Throws<ArgumentException>(Synchronously(() => zk.ExistsAsync("/trailing/", cancellationToken: Timeout)));
        Assert.Throws<ArgumentException>(Synchronously(() => zk.DeleteAsync("/a//b", cancellationToken: Timeout)));
        Assert.Throws<ArgumentException>(Synchronously(() => zk.SetDataAsync("/a/./b", null, cancellationToken: Timeout)));
        await AssertCode(ErrorCode.InvalidAcl, () => zk.CreateAsync(P("a"), null, [], CreateMode.Persistent, cancellationToken: Timeout));
        Assert.Throws<ArgumentOutOfRangeException>(Synchronously(() => zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, 1000, Timeout)));
        Assert.Throws<ArgumentOutOfRangeException>(Synchronously(() => zk.CreateAsync(P("a"), null, Open, CreateMode.PersistentWithTtl, cancellationToken: Timeout)));
    }

    [SkippableFact]
    public async Task Children_with_and_without_stat()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        foreach (var name in (string[])["x", "y", "z"])
        {
            await zk.CreateAsync(P("a/" + name), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        }

        await zk.CreateAsync(P("a/x/deep"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        var children = await zk.GetChildrenAsync(P("a"), cancellationToken: Timeout);
        var withStat = await zk.GetChildren2Async(P("a"), cancellationToken: Timeout);

        Assert.Equal(["x", "y", "z"], children.Order(StringComparer.Ordinal));
        Assert.Equal(["x", "y", "z"], withStat.Children.Order(StringComparer.Ordinal));
        Assert.Equal(3, withStat.Stat.NumChildren);
        Assert.Equal(4, await zk.GetAllChildrenNumberAsync(P("a"), Timeout));
    }

    [SkippableFact]
    public async Task Sequential_nodes_get_ten_digit_counters_of_creations()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("q"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        var first = await zk.CreateAsync(P("q/item-"), null, Open, CreateMode.PersistentSequential, cancellationToken: Timeout);
        var second = await zk.CreateAsync(P("q/item-"), null, Open, CreateMode.EphemeralSequential, cancellationToken: Timeout);
        await zk.DeleteAsync(second, cancellationToken: Timeout);
        var bare = await zk.CreateAsync(P("q/"), null, Open, CreateMode.PersistentSequential, cancellationToken: Timeout);

        Assert.Equal(P("q/item-0000000000"), first);
        Assert.Equal(P("q/item-0000000001"), second);
        Assert.Equal(P("q/0000000002"), bare);
    }

    [SkippableFact]
    public async Task Ephemerals_belong_to_the_session_and_vanish_when_it_closes()
    {
        var owner = await ConnectAsync();
        var observer = await ConnectAsync();
        var deleted = new EventRecorder();
        await owner.CreateAsync(P("e"), null, Open, CreateMode.Ephemeral, cancellationToken: Timeout);
        var stat = await observer.ExistsAsync(P("e"), deleted.Watcher, Timeout);

        Assert.Equal(owner.SessionId, stat?.EphemeralOwner);
        Assert.Equal([P("e")], await owner.GetEphemeralsAsync(_root, Timeout));
        await AssertCode(ErrorCode.NoChildrenForEphemerals,
            () => owner.CreateAsync(P("e/child"), null, Open, CreateMode.Persistent, cancellationToken: Timeout));

        await owner.DisposeAsync();

        var e = await deleted.NextNodeEventAsync(Timeout);
        Assert.Equal(EventType.NodeDeleted, e.Type);
        Assert.Equal(P("e"), e.Path);
        Assert.Null(await observer.ExistsAsync(P("e"), cancellationToken: Timeout));
    }

    [SkippableFact]
    public async Task Containers_are_reaped_once_their_last_child_goes()
    {
        var zk = await ConnectAsync();
        var path = await zk.CreateAsync(P("c"), null, Open, CreateMode.Container, cancellationToken: Timeout);
        await zk.CreateAsync(P("c/child"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        var gone = new EventRecorder();
        await zk.ExistsAsync(P("c"), gone.Watcher, Timeout);

        await zk.DeleteAsync(P("c/child"), cancellationToken: Timeout);

        Assert.Equal(P("c"), path);
        Assert.Equal(EventType.NodeDeleted, (await gone.NextNodeEventAsync(Timeout)).Type);
    }

    [SkippableFact]
    public async Task Ttl_nodes_are_created_with_create_ttl()
    {
        var zk = await ConnectAsync();

        var path = await zk.CreateAsync(P("ttl"), null, Open, CreateMode.PersistentWithTtl, 60_000, Timeout);
        var sequential = await zk.Create2Async(P("ttl-"), null, Open, CreateMode.PersistentSequentialWithTtl, 60_000, Timeout);

        Assert.Equal(P("ttl"), path);
        Assert.StartsWith(P("ttl-"), sequential.Path, StringComparison.Ordinal);
        Assert.NotNull(await zk.ExistsAsync(path, cancellationToken: Timeout));
    }

    [SkippableFact]
    public async Task Sync_echoes_the_path_even_when_missing()
    {
        var zk = await ConnectAsync();

        Assert.Equal(P("nowhere"), await zk.SyncAsync(P("nowhere"), Timeout));
    }

    [SkippableFact]
    public async Task Many_pipelined_requests_complete_in_order()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("many"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        var creates = Enumerable.Range(0, 500)
            .Select(i => zk.CreateAsync(P($"many/n{i}"), Bytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Open, CreateMode.Persistent, cancellationToken: Timeout))
            .ToList();
        var paths = await Task.WhenAll(creates);

        Assert.Equal(Enumerable.Range(0, 500).Select(i => P($"many/n{i}")), paths);
        Assert.Equal(500, (await zk.GetChildrenAsync(P("many"), cancellationToken: Timeout)).Count);
    }

    [SkippableFact]
    public async Task Large_data_up_to_the_packet_limit_round_trips()
    {
        var zk = await ConnectAsync();
        var data = new byte[1_000_000];
        Random.Shared.NextBytes(data);

        await zk.CreateAsync(P("big"), data, Open, CreateMode.Persistent, cancellationToken: Timeout);

        Assert.Equal(data, (await zk.GetDataAsync(P("big"), cancellationToken: Timeout)).Data);
    }

    // ---- ACLs and auth -------------------------------------------------------------------------------------------

    [SkippableFact]
    public async Task Acls_are_read_set_and_enforced()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        var before = await zk.GetAclAsync(P("a"), Timeout);
        await AssertCode(ErrorCode.BadVersion, () => zk.SetAclAsync(P("a"), Open, 3, Timeout));
        var stat = await zk.SetAclAsync(P("a"), WellKnownAcls.ReadAclUnsafe, 0, Timeout);

        Assert.Equal(Open, before.Acl);
        Assert.Equal(1, stat.Aversion);
        Assert.Equal(WellKnownAcls.ReadAclUnsafe, (await zk.GetAclAsync(P("a"), Timeout)).Acl);
        await AssertCode(ErrorCode.NoAuth, () => zk.SetDataAsync(P("a"), Bytes("x"), cancellationToken: Timeout));
        await AssertCode(ErrorCode.NoAuth, () => zk.SetAclAsync(P("a"), Open, cancellationToken: Timeout));
        await AssertCode(ErrorCode.InvalidAcl,
            () => zk.CreateAsync(P("b"), null, WellKnownAcls.CreatorAllAcl, CreateMode.Persistent, cancellationToken: Timeout));
    }

    [SkippableFact]
    public async Task Digest_auth_grants_access_and_shows_in_who_am_i()
    {
        var alice = await ConnectAsync();
        var stranger = await ConnectAsync();
        var anonymous = await alice.WhoAmIAsync(Timeout);
        await alice.AddDigestAuthAsync("alice", "secret", Timeout);

        await alice.CreateAsync(P("private"), Bytes("s"), WellKnownAcls.CreatorAllAcl, CreateMode.Persistent, cancellationToken: Timeout);
        var acl = await alice.GetAclAsync(P("private"), Timeout);

        Assert.Contains(new ClientInfo("ip", "127.0.0.1"), anonymous);
        Assert.Contains(new ClientInfo("digest", "alice"), await alice.WhoAmIAsync(Timeout));
        Assert.Equal([DigestAuth.Acl("alice", "secret")], acl.Acl);
        Assert.Equal("digest:alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=", $"{acl.Acl[0].Id.Scheme}:{acl.Acl[0].Id.Identity}");
        await AssertCode(ErrorCode.NoAuth, () => stranger.GetDataAsync(P("private"), cancellationToken: Timeout));

        await stranger.AddDigestAuthAsync("alice", "secret", Timeout);
        Assert.Equal("s", Encoding.UTF8.GetString((await stranger.GetDataAsync(P("private"), cancellationToken: Timeout)).Data!));
    }

    [SkippableFact]
    public async Task Unknown_auth_scheme_fails_the_client_for_good()
    {
        var events = new EventRecorder();
        var zk = await ConnectAsync(events: events);

        await AssertCode(ErrorCode.AuthFailed, () => zk.AddAuthAsync("no-such-scheme", Bytes("x"), Timeout));

        await events.NextStateAsync(KeeperState.AuthFailed, Timeout);
        Assert.Equal(ClientState.AuthFailed, zk.State);
        await AssertCode(ErrorCode.AuthFailed, () => zk.ExistsAsync(P("a"), cancellationToken: Timeout));
    }

    // ---- multi -------------------------------------------------------------------------------------------------

    [SkippableFact]
    public async Task Transaction_applies_every_op_and_reports_each_result()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("old"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        var results = await zk.Transaction()
            .Create(P("new"), Bytes("n"), Open)
            .Check(P("old"), 0)
            .SetData(P("old"), Bytes("changed"), 0)
            .Delete(P("new"))
            .Create(P("seq-"), null, Open, CreateMode.PersistentSequential)
            .CommitAsync(Timeout);

        Assert.Equal([OpCode.Create, OpCode.Check, OpCode.SetData, OpCode.Delete, OpCode.Create], results.Select(r => r.Type));
        Assert.Equal(P("new"), Assert.IsType<MultiResult<CreateResponse>>(results[0]).Body.Path);
        Assert.Equal(1, Assert.IsType<MultiResult<SetDataResponse>>(results[2]).Body.Stat.Version);
        Assert.Equal(P("seq-0000000002"), Assert.IsType<MultiResult<CreateResponse>>(results[4]).Body.Path);
        Assert.Null(await zk.ExistsAsync(P("new"), cancellationToken: Timeout));
        Assert.Empty(await zk.MultiAsync([], Timeout));
    }

    [SkippableFact]
    public async Task Failed_multi_applies_nothing_and_reports_per_op_results()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        var error = await AssertCode(ErrorCode.BadVersion, () => zk.MultiAsync(
            [
                MultiOp.Create(new CreateRequest(P("b"), null, Open, (int)CreateMode.Persistent)),
                MultiOp.Check(new CheckVersionRequest(P("a"), 7)),
                MultiOp.Delete(new DeleteRequest(P("a"), -1)),
            ], Timeout));

        Assert.Equal(P("a"), error.Path);
        Assert.Equal([ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency], error.Results!.Select(r => r.Err));
        Assert.Null(await zk.ExistsAsync(P("b"), cancellationToken: Timeout));
        Assert.NotNull(await zk.ExistsAsync(P("a"), cancellationToken: Timeout));
    }

    [SkippableFact]
    public async Task Multi_read_answers_each_op_alone()
    {
        var zk = await ConnectAsync();
        await zk.CreateAsync(P("a"), Bytes("A"), Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.CreateAsync(P("a/kid"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        var results = await zk.MultiReadAsync(
            [
                MultiOp.GetData(new GetDataRequest(P("a"), false)),
                MultiOp.GetChildren(new GetChildrenRequest(P("a"), false)),
                MultiOp.GetData(new GetDataRequest(P("missing"), false)),
            ], Timeout);

        Assert.Equal("A", Encoding.UTF8.GetString(Assert.IsType<MultiResult<GetDataResponse>>(results[0]).Body.Data!));
        Assert.Equal(["kid"], Assert.IsType<MultiResult<GetChildrenResponse>>(results[1]).Body.Children);
        Assert.Equal(ErrorCode.NoNode, results[2].Err);
        Assert.Throws<ArgumentException>(Synchronously(() => zk.MultiReadAsync([MultiOp.Delete(new DeleteRequest(P("a"), -1))], Timeout)));
    }

    // ---- chroot ------------------------------------------------------------------------------------------------

    [SkippableFact]
    public async Task Chroot_is_added_to_every_path_sent_and_removed_from_every_path_received()
    {
        var admin = await ConnectAsync();
        await admin.CreateAsync(P("jail"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        var zk = await ConnectAsync(chroot: P("jail"));
        var events = new EventRecorder();

        await zk.ExistsAsync("/x", events.Watcher, Timeout);
        var created = await zk.CreateAsync("/x", Bytes("1"), Open, CreateMode.Ephemeral, cancellationToken: Timeout);
        var created2 = await zk.Create2Async("/y", null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        var multi = await zk.Transaction().Create("/z", null, Open).CommitAsync(Timeout);

        Assert.Equal("/x", created);
        Assert.Equal("/y", created2.Path);
        Assert.Equal("/z", Assert.IsType<MultiResult<CreateResponse>>(multi[0]).Body.Path);
        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/x"), await events.NextNodeEventAsync(Timeout));
        Assert.Equal(["x", "y", "z"], (await zk.GetChildrenAsync("/", cancellationToken: Timeout)).Order(StringComparer.Ordinal));
        Assert.Equal(["/x"], await zk.GetEphemeralsAsync("/", Timeout));
        Assert.Equal("/x", await zk.SyncAsync("/x", Timeout));
        Assert.Equal("1", Encoding.UTF8.GetString((await admin.GetDataAsync(P("jail/x"), cancellationToken: Timeout)).Data!));

        await zk.GetChildrenAsync("/", events.Watcher, Timeout);
        await admin.DeleteAsync(P("jail/y"), cancellationToken: Timeout);
        Assert.Equal(new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, "/"), await events.NextNodeEventAsync(Timeout));
    }

    // ---- watches -----------------------------------------------------------------------------------------------

    [SkippableFact]
    public async Task Data_watch_fires_once()
    {
        var zk = await ConnectAsync();
        var events = new EventRecorder();
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.GetDataAsync(P("a"), events.Watcher, Timeout);

        await zk.SetDataAsync(P("a"), Bytes("1"), cancellationToken: Timeout);
        await zk.SetDataAsync(P("a"), Bytes("2"), cancellationToken: Timeout);
        await zk.SyncAsync(P("a"), Timeout);

        Assert.Equal([new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, P("a"))], events.DrainNodeEvents());
    }

    [SkippableFact]
    public async Task Watch_event_is_delivered_before_the_reply_that_follows_it()
    {
        var writer = await ConnectAsync();
        var reader = await ConnectAsync();
        var writerEvents = new EventRecorder();
        var readerEvents = new EventRecorder();
        await writer.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await reader.GetDataAsync(P("a"), readerEvents.Watcher, Timeout);
        await writer.ExistsAsync(P("a"), writerEvents.Watcher, Timeout);

        // The writer's own reply, and a read of the other session that sees the change, both follow the event.
        await writer.SetDataAsync(P("a"), Bytes("1"), cancellationToken: Timeout);
        Assert.Single(writerEvents.DrainNodeEvents());
        await reader.SyncAsync(P("a"), Timeout);
        var data = await reader.GetDataAsync(P("a"), cancellationToken: Timeout);

        Assert.Equal(1, data.Stat.Version);
        Assert.Single(readerEvents.DrainNodeEvents());
    }

    [SkippableFact]
    public async Task Multi_events_arrive_in_op_order_before_its_reply()
    {
        var zk = await ConnectAsync();
        var events = new EventRecorder();
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.ExistsAsync(P("b"), events.Watcher, Timeout);
        await zk.GetDataAsync(P("a"), events.Watcher, Timeout);
        await zk.GetChildrenAsync(_root, events.Watcher, Timeout);

        await zk.Transaction().Create(P("b"), null, Open).SetData(P("a"), Bytes("x")).CommitAsync(Timeout);

        Assert.Equal(
            [
                new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, P("b")),
                new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, _root),
                new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, P("a")),
            ],
            events.DrainNodeEvents());
    }

    [SkippableFact]
    public async Task Exists_on_a_missing_node_watches_for_its_creation_but_get_data_does_not()
    {
        var zk = await ConnectAsync();
        var exists = new EventRecorder();
        var getData = new EventRecorder();

        Assert.Null(await zk.ExistsAsync(P("later"), exists.Watcher, Timeout));
        await AssertCode(ErrorCode.NoNode, () => zk.GetDataAsync(P("never"), getData.Watcher, Timeout));
        await AssertCode(ErrorCode.NoWatcher, () => zk.CheckWatchesAsync(P("never"), WatcherType.Data, Timeout));
        await AssertCode(ErrorCode.NoWatcher, () => zk.RemoveWatchesAsync(P("never"), getData.Watcher, WatcherType.Any, cancellationToken: Timeout));
        await zk.CheckWatchesAsync(P("later"), WatcherType.Data, Timeout);
        await zk.CreateAsync(P("later"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.CreateAsync(P("never"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, P("later")), await exists.NextNodeEventAsync(Timeout));
        Assert.Empty(getData.DrainNodeEvents());
    }

    [SkippableFact]
    public async Task One_watcher_on_data_and_exists_of_a_node_is_told_once_and_child_watch_sees_deletion()
    {
        var zk = await ConnectAsync();
        var data = new EventRecorder();
        var children = new EventRecorder();
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.GetDataAsync(P("a"), data.Watcher, Timeout);
        await zk.ExistsAsync(P("a"), data.Watcher, Timeout);
        await zk.GetChildrenAsync(P("a"), children.Watcher, Timeout);
        await zk.GetChildrenAsync(_root, children.Watcher, Timeout);

        await zk.DeleteAsync(P("a"), cancellationToken: Timeout);

        Assert.Equal([new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, P("a"))], data.DrainNodeEvents());
        Assert.Equal(
            [
                new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, P("a")),
                new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, _root),
            ],
            children.DrainNodeEvents());
    }

    [SkippableFact]
    public async Task A_watcher_may_call_the_client_to_rearm_itself()
    {
        var zk = await ConnectAsync();
        var seen = System.Threading.Channels.Channel.CreateUnbounded<string>();
        await zk.CreateAsync(P("a"), Bytes("0"), Open, CreateMode.Persistent, cancellationToken: Timeout);
        Func<WatchedEvent, Task>? watcher = null;
        watcher = async e =>
        {
            if (e.Type == EventType.NodeDataChanged)
            {
                var data = await zk.GetDataAsync(P("a"), watcher, Timeout);
                seen.Writer.TryWrite(Encoding.UTF8.GetString(data.Data!));
            }
        };
        await zk.GetDataAsync(P("a"), watcher, Timeout);

        await zk.SetDataAsync(P("a"), Bytes("1"), cancellationToken: Timeout);
        Assert.Equal("1", await seen.Reader.ReadAsync(Timeout));
        await zk.SetDataAsync(P("a"), Bytes("2"), cancellationToken: Timeout);
        Assert.Equal("2", await seen.Reader.ReadAsync(Timeout));
    }

    [SkippableFact]
    public async Task Persistent_recursive_watch_sees_every_descendant_until_removed()
    {
        var zk = await ConnectAsync();
        var events = new EventRecorder();
        await zk.CreateAsync(P("tree"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.AddWatchAsync(P("tree"), events.Watcher, AddWatchMode.PersistentRecursive, Timeout);

        await zk.CreateAsync(P("tree/a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.CreateAsync(P("tree/a/b"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.SetDataAsync(P("tree/a/b"), Bytes("x"), cancellationToken: Timeout);
        await zk.DeleteAsync(P("tree/a/b"), cancellationToken: Timeout);
        await zk.RemoveWatchesAsync(P("tree"), events.Watcher, WatcherType.Any, cancellationToken: Timeout);
        await zk.SetDataAsync(P("tree/a"), Bytes("after"), cancellationToken: Timeout);
        await zk.SyncAsync(P("tree"), Timeout);

        Assert.Equal(
            [
                new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, P("tree/a")),
                new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, P("tree/a/b")),
                new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, P("tree/a/b")),
                new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, P("tree/a/b")),
                new WatchedEvent(EventType.PersistentWatchRemoved, KeeperState.SyncConnected, P("tree")),
            ],
            events.DrainNodeEvents());
    }

    [SkippableFact]
    public async Task Persistent_watch_sees_children_and_data_of_its_node_repeatedly()
    {
        var zk = await ConnectAsync();
        var events = new EventRecorder();
        await zk.CreateAsync(P("p"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.AddWatchAsync(P("p"), events.Watcher, AddWatchMode.Persistent, Timeout);

        await zk.SetDataAsync(P("p"), Bytes("1"), cancellationToken: Timeout);
        await zk.SetDataAsync(P("p"), Bytes("2"), cancellationToken: Timeout);
        await zk.CreateAsync(P("p/kid"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.SetDataAsync(P("p/kid"), Bytes("ignored"), cancellationToken: Timeout);

        Assert.Equal(
            [
                new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, P("p")),
                new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, P("p")),
                new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, P("p")),
            ],
            events.DrainNodeEvents());
    }

    [SkippableFact]
    public async Task Removed_watches_are_told_so_and_never_fire()
    {
        var zk = await ConnectAsync();
        var data = new EventRecorder();
        var children = new EventRecorder();
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.GetDataAsync(P("a"), data.Watcher, Timeout);
        await zk.GetChildrenAsync(P("a"), children.Watcher, Timeout);

        await zk.RemoveWatchesAsync(P("a"), data.Watcher, WatcherType.Data, cancellationToken: Timeout);
        await AssertCode(ErrorCode.NoWatcher, () => zk.RemoveWatchesAsync(P("a"), data.Watcher, WatcherType.Data, cancellationToken: Timeout));
        await zk.RemoveWatchesAsync(P("a"), null, WatcherType.Any, cancellationToken: Timeout);
        await zk.SetDataAsync(P("a"), Bytes("x"), cancellationToken: Timeout);
        await zk.CreateAsync(P("a/kid"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        Assert.Equal([new WatchedEvent(EventType.DataWatchRemoved, KeeperState.SyncConnected, P("a"))], data.DrainNodeEvents());
        Assert.Equal([new WatchedEvent(EventType.ChildWatchRemoved, KeeperState.SyncConnected, P("a"))], children.DrainNodeEvents());
    }

    [SkippableFact]
    public async Task Local_removal_works_while_the_server_is_unreachable()
    {
        await using var proxy = TcpProxy.Start(server.ConnectString);
        var events = new EventRecorder();
        var zk = await ConnectAsync(events: events, hosts: proxy.ConnectString);
        var data = new EventRecorder();
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.GetDataAsync(P("a"), data.Watcher, Timeout);
        proxy.Refuse(true);
        proxy.Cut();
        await events.NextStateAsync(KeeperState.Disconnected, Timeout);

        await AssertCode(ErrorCode.ConnectionLoss, () => zk.RemoveWatchesAsync(P("a"), data.Watcher, WatcherType.Data, cancellationToken: Timeout));
        await zk.RemoveWatchesAsync(P("a"), data.Watcher, WatcherType.Data, local: true, Timeout);

        Assert.Contains(new WatchedEvent(EventType.DataWatchRemoved, KeeperState.Disconnected, P("a")), data.DrainNodeEvents());
    }

    // ---- sessions and connections --------------------------------------------------------------------------------

    [SkippableFact]
    public async Task Dropped_connection_reconnects_keeps_the_session_and_rearms_watches()
    {
        await using var proxy = TcpProxy.Start(server.ConnectString);
        var admin = await ConnectAsync();
        var states = new EventRecorder();
        var zk = await ConnectAsync(events: states, hosts: proxy.ConnectString);
        var watch = new EventRecorder();
        var sessionId = zk.SessionId;
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.CreateAsync(P("eph"), null, Open, CreateMode.Ephemeral, cancellationToken: Timeout);
        await zk.GetDataAsync(P("a"), watch.Watcher, Timeout);
        await zk.ExistsAsync(P("b"), watch.Watcher, Timeout);

        // Changed while the client is away: the re-armed watch (SetWatches with the last zxid seen) fires at once.
        proxy.Refuse(true);
        proxy.Cut();
        await states.NextStateAsync(KeeperState.Disconnected, Timeout);
        Assert.Equal(ClientState.Connecting, zk.State);
        await admin.SetDataAsync(P("a"), Bytes("while away"), cancellationToken: Timeout);
        proxy.Refuse(false);
        await states.NextStateAsync(KeeperState.SyncConnected, Timeout);

        Assert.Equal(new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, P("a")), await watch.NextNodeEventAsync(Timeout));
        Assert.Equal(sessionId, zk.SessionId);
        Assert.Equal(ClientState.Connected, zk.State);
        Assert.NotNull(await admin.ExistsAsync(P("eph"), cancellationToken: Timeout));

        // Changed after the reconnect: the exists watch was re-armed too.
        await admin.CreateAsync(P("b"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, P("b")), await watch.NextNodeEventAsync(Timeout));
    }

    [SkippableFact]
    public async Task Many_watches_and_persistent_ones_are_rearmed_in_batches_after_a_reconnect()
    {
        await using var proxy = TcpProxy.Start(server.ConnectString);
        var admin = await ConnectAsync();
        var states = new EventRecorder();
        var zk = await ConnectAsync(events: states, hosts: proxy.ConnectString);
        var exists = new EventRecorder();
        var recursive = new EventRecorder();
        await zk.CreateAsync(P("tree"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await zk.AddWatchAsync(P("tree"), recursive.Watcher, AddWatchMode.PersistentRecursive, Timeout);

        // About 200 characters a path: 6000 of them are more than the server takes in one packet (1 MiB), so
        // re-arming them only works if SetWatches is split.
        var padding = new string('p', 150);
        var paths = Enumerable.Range(0, 6000).Select(i => P($"{padding}-{i}")).ToList();
        await Task.WhenAll(paths.Select(path => zk.ExistsAsync(path, exists.Watcher, Timeout)));
        proxy.Cut();
        await states.NextStateAsync(KeeperState.Disconnected, Timeout);
        await states.NextStateAsync(KeeperState.SyncConnected, Timeout);
        await admin.CreateAsync(paths[0], null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await admin.CreateAsync(paths[^1], null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        await admin.CreateAsync(P("tree/kid"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, paths[0]), await exists.NextNodeEventAsync(Timeout));
        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, paths[^1]), await exists.NextNodeEventAsync(Timeout));
        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, P("tree/kid")), await recursive.NextNodeEventAsync(Timeout));
    }

    [SkippableFact]
    public async Task Requests_in_flight_or_queued_while_disconnected_fail_with_connection_loss()
    {
        await using var proxy = TcpProxy.Start(server.ConnectString);
        var states = new EventRecorder();
        var zk = await ConnectAsync(events: states, hosts: proxy.ConnectString);
        await zk.CreateAsync(P("a"), null, Open, CreateMode.Persistent, cancellationToken: Timeout);

        proxy.Freeze();
        var inFlight = zk.SetDataAsync(P("a"), Bytes("maybe"), cancellationToken: Timeout);
        await Task.Delay(100, Timeout);
        proxy.Refuse(true);
        proxy.Cut();
        proxy.Thaw();

        await AssertCode(ErrorCode.ConnectionLoss, () => inFlight);
        await states.NextStateAsync(KeeperState.Disconnected, Timeout);
        await AssertCode(ErrorCode.ConnectionLoss, () => zk.GetDataAsync(P("a"), cancellationToken: Timeout));

        proxy.Refuse(false);
        await states.NextStateAsync(KeeperState.SyncConnected, Timeout);
        await zk.GetDataAsync(P("a"), cancellationToken: Timeout);
    }

    [SkippableFact]
    public async Task A_silent_server_is_detected_by_the_read_timeout()
    {
        await using var proxy = TcpProxy.Start(server.ConnectString);
        var states = new EventRecorder();
        var zk = await ConnectAsync(events: states, hosts: proxy.ConnectString, sessionTimeout: TimeSpan.FromSeconds(6));
        var sessionId = zk.SessionId;

        // Pings go every 2 s; with nothing heard for 4 s (two thirds of the timeout) the client gives the
        // connection up and has 2 s left to reach a server before the session expires.
        proxy.Freeze();
        var frozenAt = DateTime.UtcNow;
        await states.NextStateAsync(KeeperState.Disconnected, Timeout);
        var detectedAfter = DateTime.UtcNow - frozenAt;
        await states.NextStateAsync(KeeperState.SyncConnected, Timeout);

        // Only the lower bound is a property of the client (it waits for the read timeout); how late the
        // detection comes depends on the machine's load, so it is not asserted.
        Assert.True(detectedAfter >= TimeSpan.FromSeconds(1.5), $"Disconnected after only {detectedAfter}.");
        Assert.Equal(sessionId, zk.SessionId);
        Assert.NotNull(await zk.ExistsAsync("/", cancellationToken: Timeout));
    }

    [SkippableFact]
    public async Task A_second_client_can_resume_the_session_and_closing_it_expires_the_first()
    {
        await using var proxy = TcpProxy.Start(server.ConnectString);
        var states = new EventRecorder();
        var first = await ConnectAsync(events: states, hosts: proxy.ConnectString);
        await first.CreateAsync(P("eph"), null, Open, CreateMode.Ephemeral, cancellationToken: Timeout);
        proxy.Refuse(true);
        proxy.Cut();
        await states.NextStateAsync(KeeperState.Disconnected, Timeout);

        var second = await ConnectAsync(sessionId: first.SessionId, password: first.SessionPassword);
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.Equal([P("eph")], await second.GetEphemeralsAsync(_root, Timeout));
        await second.DisposeAsync();

        proxy.Refuse(false);
        await states.NextStateAsync(KeeperState.Expired, Timeout);
        Assert.Equal(ClientState.Expired, first.State);
        await AssertCode(ErrorCode.SessionExpired, () => first.ExistsAsync("/", cancellationToken: Timeout));
        var observer = await ConnectAsync();
        Assert.Null(await observer.ExistsAsync(P("eph"), cancellationToken: Timeout));
        var error = await Assert.ThrowsAsync<KeeperException>(() => ConnectAsync(sessionId: first.SessionId, password: first.SessionPassword));
        Assert.Equal(ErrorCode.SessionExpired, error.Code);
    }

    [SkippableFact]
    public async Task Disposing_closes_the_session_and_later_calls_fail()
    {
        var events = new EventRecorder();
        var zk = await ConnectAsync(events: events);
        var watch = new EventRecorder();
        await zk.ExistsAsync(P("x"), watch.Watcher, Timeout);

        await zk.DisposeAsync();
        await zk.DisposeAsync();

        Assert.Equal(ClientState.Closed, zk.State);
        await events.NextStateAsync(KeeperState.Closed, Timeout);
        await watch.NextStateAsync(KeeperState.Closed, Timeout);
        await AssertCode(ErrorCode.SessionExpired, () => zk.ExistsAsync("/", cancellationToken: Timeout));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /// <summary>A path under this test's root.</summary>
    protected string P(string relative) => $"{_root}/{relative}";

    protected static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Argument checks throw before a task exists, as .NET methods do.</summary>
    protected static Action Synchronously(Func<Task> call) => () => call();

    protected static async Task<KeeperException> AssertCode(ErrorCode code, Func<Task> call)
    {
        var error = await Assert.ThrowsAsync<KeeperException>(call);
        Assert.Equal(code, error.Code);
        return error;
    }

    /// <summary>A client of the server (or of <paramref name="hosts"/>), closed when the test ends.</summary>
    protected async Task<ZooKeeperClient> ConnectAsync(
        string? chroot = null,
        EventRecorder? events = null,
        string? hosts = null,
        TimeSpan? sessionTimeout = null,
        long sessionId = 0,
        ReadOnlyMemory<byte> password = default)
    {
        Skip.If(server.UnavailableReason is not null, server.UnavailableReason);
        if (!_rootCreated)
        {
            _rootCreated = true;
            var admin = await ConnectAsync();
            await admin.CreateAsync(_root, null, Open, CreateMode.Persistent, cancellationToken: Timeout);
        }

        var client = await ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions
            {
                ConnectString = (hosts ?? server.ConnectString) + chroot,
                SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(6),
                SessionId = sessionId,
                SessionPassword = password,
                DefaultWatcher = events?.Watcher,
            },
            Timeout);
        _clients.Add(client);
        return client;
    }
}
