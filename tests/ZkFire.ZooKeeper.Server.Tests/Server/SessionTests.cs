using Xunit.Abstractions;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Server;

public sealed class SessionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task An_expired_session_loses_its_ephemerals_and_its_connection()
    {
        // tickTime 100, so 2 s is the longest timeout allowed; the node is created first thing, so that a loaded test
        // machine (a second connection once took a second to open) has the whole timeout to set the watch.
        await using var server = await TestServer.StartAsync(o => o.TickTime = 100, output);
        await using var owner = await server.ConnectAsync(timeout: 2000);
        await owner.CreateAsync("/e", mode: CreateMode.Ephemeral);
        await using var watcher = await server.ConnectAsync();
        Assert.NotNull(await watcher.ExistsAsync("/e", watch: true));

        // The owner goes silent: no pings.
        var events = new List<Packet>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (events.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            events.AddRange((await watcher.CallAsync(OpCode.Sync, new SyncRequest("/"))).Events);
        }

        Assert.Equal([(EventType.NodeDeleted, "/e")], events.Select(e => (e.Event.Type, e.Event.Path)));
        Assert.True(await owner.ClosedByServerAsync());
        await using var late = await RawClient.OpenAsync(server.EndPoint);
        Assert.Equal(0, (await late.HandshakeAsync(new ConnectRequest(0, 0, 200, owner.SessionId, owner.Password, false))).SessionId);
    }

    [Fact]
    public async Task Pings_keep_a_session_alive()
    {
        await using var server = await TestServer.StartAsync(o => o.TickTime = 100, output);
        await using var client = await server.ConnectAsync(timeout: 2000);
        await client.CreateAsync("/e", mode: CreateMode.Ephemeral);

        // Longer than the timeout in all, with room for a test machine that stalls now and then.
        for (var i = 0; i < 15; i++)
        {
            await Task.Delay(200);
            await client.SendAsync(new RequestHeader(SpecialXid.Ping, OpCode.Ping), default(EmptyBody));
            Assert.Equal(ErrorCode.Ok, (await client.ReceiveAsync())!.Header.Err);
        }

        Assert.NotNull(await client.ExistsAsync("/e"));
    }

    [Fact]
    public async Task Closing_a_session_deletes_its_ephemerals_at_once_and_closes_the_connection()
    {
        await using var server = await TestServer.StartAsync();
        await using var owner = await server.ConnectAsync();
        await using var other = await server.ConnectAsync();
        await owner.CreateAsync("/p");
        await owner.CreateAsync("/p/e", mode: CreateMode.Ephemeral);
        await other.ExistsAsync("/p/e", watch: true);

        var reply = await owner.RequestAsync(OpCode.CloseSession, default(EmptyBody));
        var (events, _) = await other.CallAsync(OpCode.Exists, new ExistsRequest("/p/e", false));

        Assert.Equal(ErrorCode.Ok, reply.Header.Err);
        Assert.True(await owner.ClosedByServerAsync());
        Assert.Equal([(EventType.NodeDeleted, "/p/e")], events.Select(e => (e.Event.Type, e.Event.Path)));
        Assert.Null(await other.ExistsAsync("/p/e"));
    }

    [Fact]
    public async Task A_dropped_connection_leaves_the_session_and_its_ephemerals_until_expiry()
    {
        await using var server = await TestServer.StartAsync();
        var owner = await server.ConnectAsync();
        await owner.CreateAsync("/e", mode: CreateMode.Ephemeral);
        await owner.DisposeAsync();

        await using var other = await server.ConnectAsync();
        await Task.Delay(200);
        Assert.Equal(owner.SessionId, (await other.ExistsAsync("/e"))?.EphemeralOwner);
        await using var resumed = await RawClient.ConnectAsync(server.EndPoint, sessionId: owner.SessionId, password: owner.Password);
        Assert.Equal(owner.SessionId, resumed.SessionId);
    }

    [Fact]
    public async Task Get_ephemerals_lists_only_the_callers_own()
    {
        await using var server = await TestServer.StartAsync();
        await using var a = await server.ConnectAsync();
        await using var b = await server.ConnectAsync();
        await a.CreateAsync("/a1", mode: CreateMode.Ephemeral);
        await a.CreateAsync("/b-by-a", mode: CreateMode.Ephemeral);
        await b.CreateAsync("/b1", mode: CreateMode.Ephemeral);

        var all = await a.OkAsync<GetEphemeralsRequest, GetEphemeralsResponse>(OpCode.GetEphemerals, new GetEphemeralsRequest("/"));
        var prefixed = await a.OkAsync<GetEphemeralsRequest, GetEphemeralsResponse>(OpCode.GetEphemerals, new GetEphemeralsRequest("/b"));

        Assert.Equal(["/a1", "/b-by-a"], all.Ephemerals.Order(StringComparer.Ordinal));
        Assert.Equal(["/b-by-a"], prefixed.Ephemerals);
    }
}
