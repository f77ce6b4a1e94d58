using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Server;

public sealed class HandshakeTests
{
    [Theory]
    [InlineData(true, 37)]
    [InlineData(false, 36)]
    public async Task Connect_response_has_the_read_only_byte_only_when_asked(bool sendReadOnly, int expectedLength)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawClient.OpenAsync(server.EndPoint);

        var response = await client.HandshakeAsync(new ConnectRequest(0, 0, 30_000, 0, new byte[16], sendReadOnly ? true : null));

        Assert.Equal(expectedLength, client.ConnectResponseLength);
        Assert.Equal(16, response.Passwd.Length);
        Assert.Equal(sendReadOnly ? false : null, response.ReadOnly);
        // A standalone server numbers its sessions from 1 in the top byte, as ZooKeeper does.
        Assert.Equal(1, (int)((ulong)response.SessionId >> 56));
    }

    [Theory]
    [InlineData(1, 4000)]
    [InlineData(3999, 4000)]
    [InlineData(39999, 39999)]
    [InlineData(1_000_000, 40000)]
    public async Task Negotiated_timeout_is_clamped_to_2_and_20_ticks(int requested, int negotiated)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawClient.ConnectAsync(server.EndPoint, requested);

        Assert.Equal(negotiated, client.NegotiatedTimeout);
    }

    [Fact]
    public async Task Reconnecting_with_id_and_password_takes_the_session_over()
    {
        await using var server = await TestServer.StartAsync();
        await using var first = await server.ConnectAsync();
        await first.CreateAsync("/e", mode: CreateMode.Ephemeral);

        await using var second = await RawClient.ConnectAsync(server.EndPoint, sessionId: first.SessionId, password: first.Password);

        Assert.Equal(first.SessionId, second.SessionId);
        Assert.True(await first.ClosedByServerAsync());
        Assert.Equal(first.SessionId, (await second.ExistsAsync("/e"))?.EphemeralOwner);
    }

    [Fact]
    public async Task Wrong_password_gets_timeout_0_and_session_0_then_close_and_the_session_lives_on()
    {
        await using var server = await TestServer.StartAsync();
        await using var live = await server.ConnectAsync();
        await live.CreateAsync("/e", mode: CreateMode.Ephemeral);

        await using var wrong = await RawClient.OpenAsync(server.EndPoint);
        var response = await wrong.HandshakeAsync(new ConnectRequest(0, 0, 30_000, live.SessionId, new byte[16], false));

        Assert.Equal((0, 0L), (response.Timeout, response.SessionId));
        Assert.True(await wrong.ClosedByServerAsync());
        // ZooKeeper closes the session's connection before it looks at the password.
        Assert.True(await live.ClosedByServerAsync());
        await using var again = await RawClient.ConnectAsync(server.EndPoint, sessionId: live.SessionId, password: live.Password);
        Assert.NotNull(await again.ExistsAsync("/e"));
    }

    [Fact]
    public async Task Closed_or_unknown_session_gets_timeout_0_and_session_0()
    {
        await using var server = await TestServer.StartAsync();
        await using var first = await server.ConnectAsync();
        await first.RequestAsync(OpCode.CloseSession, default(EmptyBody));

        await using var late = await RawClient.OpenAsync(server.EndPoint);
        var response = await late.HandshakeAsync(new ConnectRequest(0, 0, 30_000, first.SessionId, first.Password, false));

        Assert.Equal((0, 0L), (response.Timeout, response.SessionId));
        Assert.True(await late.ClosedByServerAsync());
    }

    [Fact]
    public async Task Client_that_has_seen_a_newer_zxid_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await RawClient.OpenAsync(server.EndPoint);

        await client.SendFrameAsync(RawClient.Frame((ref JuteWriter w) => new ConnectRequest(0, 1_000_000, 30_000, 0, new byte[16], false).Write(ref w)));

        Assert.True(await client.ClosedByServerAsync());
    }

    [Fact]
    public async Task A_port_in_use_fails_the_start_and_leaves_the_data_directory_usable()
    {
        await using var first = await TestServer.StartAsync();
        var dataDir = Path.Combine(Path.GetTempPath(), "zkfire-busy-" + Guid.NewGuid().ToString("N"));
        try
        {
            await Assert.ThrowsAsync<IOException>(() => TestServer.StartAsync(dataDir, o => o.ClientPort = first.EndPoint.Port, ownsDirectory: false));
            await using var second = await TestServer.StartAsync(dataDir, configure: null, ownsDirectory: false);
            await using var client = await second.ConnectAsync();
            Assert.NotNull(await client.ExistsAsync("/"));
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }
    }

    [Fact]
    public async Task Ping_is_answered_with_the_last_zxid()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/a");

        await client.SendAsync(new RequestHeader(SpecialXid.Ping, OpCode.Ping), default(EmptyBody));
        var reply = await client.ReceiveAsync();

        Assert.Equal(new ReplyHeader(SpecialXid.Ping, 2, ErrorCode.Ok), reply!.Header);
    }
}
