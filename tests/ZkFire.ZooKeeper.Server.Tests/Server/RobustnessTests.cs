using System.Buffers.Binary;
using System.Text;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Server;

/// <summary>Bad input on the client port: the offending connection goes, nothing else does.</summary>
public sealed class RobustnessTests : IAsyncLifetime
{
    private TestServer server = null!;

    public async Task InitializeAsync() => server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task An_oversized_request_drops_the_connection_but_not_the_session()
    {
        await using var client = await server.ConnectAsync();
        await client.CreateAsync("/e", mode: CreateMode.Ephemeral);
        // The limit (jute.maxbuffer) covers the whole packet: this one is just under it, the next just over.
        Assert.Equal("/fits", await client.CreateAsync("/fits", new byte[1_048_000]));

        await client.SendAsync(new RequestHeader(9, OpCode.Create), new CreateRequest("/too-big", new byte[1_048_576], WellKnownAcls.OpenAclUnsafe, 0));

        Assert.True(await client.ClosedByServerAsync());
        await using var resumed = await RawClient.ConnectAsync(server.EndPoint, sessionId: client.SessionId, password: client.Password);
        Assert.Null(await resumed.ExistsAsync("/too-big"));
        Assert.NotNull(await resumed.ExistsAsync("/e"));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0x100000)]
    public async Task A_bad_frame_length_drops_the_connection_without_a_reply(int length)
    {
        await using var client = await server.ConnectAsync();
        var prefix = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(prefix, length);

        await client.SendFrameAsync(prefix);

        Assert.Null(await client.ReceiveAsync());
    }

    [Fact]
    public async Task Garbage_drops_that_connection_and_no_other()
    {
        await using var bystander = await server.ConnectAsync();
        await using var garbage = await RawClient.OpenAsync(server.EndPoint);

        await garbage.SendFrameAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));

        Assert.True(await garbage.ClosedByServerAsync());
        Assert.NotNull(await bystander.ExistsAsync("/"));
    }

    [Fact]
    public async Task An_undecodable_header_or_connect_request_drops_the_connection()
    {
        await using var shortConnect = await RawClient.OpenAsync(server.EndPoint);
        await shortConnect.SendFrameAsync(RawClient.Frame((ref JuteWriter w) => w.WriteInt(0)));
        Assert.True(await shortConnect.ClosedByServerAsync());

        await using var client = await server.ConnectAsync();
        await client.SendFrameAsync(RawClient.Frame((ref JuteWriter w) => w.WriteInt(7)));
        Assert.True(await client.ClosedByServerAsync());
    }

    [Fact]
    public async Task A_body_that_does_not_decode_is_a_marshalling_error_and_the_connection_stays()
    {
        await using var client = await server.ConnectAsync();
        await client.SendFrameAsync(RawClient.Frame((ref JuteWriter w) =>
        {
            new RequestHeader(5, OpCode.GetData).Write(ref w);
            w.WriteInt(1000);
        }));

        Assert.Equal(ErrorCode.MarshallingError, (await client.ReceiveAsync())!.Header.Err);
        Assert.NotNull(await client.ExistsAsync("/"));
    }

    [Fact]
    public async Task Connections_per_address_are_limited()
    {
        await using var limited = await TestServer.StartAsync(o => o.MaxClientConnections = 2);
        await using var first = await limited.ConnectAsync();
        await using var second = await limited.ConnectAsync();

        await using var third = await RawClient.OpenAsync(limited.EndPoint);

        Assert.True(await third.ClosedByServerAsync());
        await first.DisposeAsync();
        Assert.True(await Wire.EventuallyAsync(async () =>
        {
            await using var retry = await RawClient.OpenAsync(limited.EndPoint);
            try
            {
                return (await retry.HandshakeAsync(new ConnectRequest(0, 0, 30_000, 0, new byte[16], false))).SessionId != 0;
            }
            catch (IOException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(5)));
    }
}
