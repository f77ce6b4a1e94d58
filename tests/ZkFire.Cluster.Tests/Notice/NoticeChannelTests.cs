using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Cluster.Notice;
using ZkFire.Cluster.Notice.Messages;

namespace ZkFire.Cluster.Tests.Notice;

/// <summary>Notice channels between real sockets on loopback.</summary>
public sealed class NoticeChannelTests : IAsyncLifetime
{
    private static readonly byte[] Secret = "notice channel test secret 1234"u8.ToArray();
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly List<NoticeChannel> channels = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var channel in channels)
        {
            await channel.DisposeAsync();
        }
    }

    [Fact]
    public async Task Envelopes_flow_both_ways_in_order_after_each_side_hears_the_link_come_up()
    {
        var (a, b) = await PairAsync();

        for (var i = 0; i < 500; i++)
        {
            Assert.True(a.TrySend("b", Stanza(i)));
            Assert.True(await b.SendAsync("a", Stanza(1000 + i), CancellationToken.None));
        }

        Assert.Equal(Enumerable.Range(0, 500), await ReceiveHopsAsync(b, 500));
        Assert.Equal(Enumerable.Range(1000, 500), await ReceiveHopsAsync(a, 500));
    }

    [Fact]
    public async Task What_is_queued_while_the_peer_is_away_arrives_in_order_once_it_is_back()
    {
        var a = await StartAsync("a", Secret);
        a.SetPeers([new NoticePeer("b", "127.0.0.1", FreePort(out var port), 1)]);
        for (var i = 0; i < 50; i++)
        {
            Assert.True(a.TrySend("b", Stanza(i)));
        }

        // b starts late, on the port a was told about: a keeps redialling with backoff until it answers.
        var b = await StartAsync("b", Secret, port);
        b.SetPeers([Peer(a, "a")]);

        Assert.Equal(Enumerable.Range(0, 50), await ReceiveHopsAsync(b, 50));
    }

    [Fact]
    public async Task A_full_queue_refuses_TrySend_and_makes_SendAsync_wait()
    {
        var a = await StartAsync("a", Secret, queueLength: 16);
        a.SetPeers([new NoticePeer("b", "127.0.0.1", FreePort(out _), 1)]);
        for (var i = 0; i < 16; i++)
        {
            Assert.True(a.TrySend("b", Stanza(i)));
        }

        Assert.False(a.TrySend("b", Stanza(16)));
        var waiting = a.SendAsync("b", Stanza(17), CancellationToken.None).AsTask();
        await Task.Delay(200);
        Assert.False(waiting.IsCompleted);

        // A peer that leaves takes its queue with it: the waiting send gives up.
        a.SetPeers([]);
        Assert.False(await waiting.WaitAsync(Patience));
        Assert.False(a.TrySend("b", Stanza(18)));
    }

    [Fact]
    public async Task A_node_with_another_secret_is_refused_and_nothing_it_sends_arrives()
    {
        var b = await StartAsync("b", Secret);
        var impostor = await StartAsync("a", "a different cluster's secret!!"u8.ToArray());
        b.SetPeers([Peer(impostor, "a")]);
        impostor.SetPeers([Peer(b, "b")]);
        impostor.TrySend("b", Stanza(1));

        await Task.Delay(1500);
        Assert.False(b.Events.TryRead(out var heard), $"b heard {heard}");
    }

    [Fact]
    public async Task A_node_that_is_not_a_member_is_refused()
    {
        var b = await StartAsync("b", Secret);
        var stranger = await StartAsync("a", Secret);
        stranger.SetPeers([Peer(b, "b")]);
        stranger.TrySend("b", Stanza(1));

        await Task.Delay(1500);
        Assert.False(b.Events.TryRead(out var heard), $"b heard {heard}");
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("oversized")]
    [InlineData("silent")]
    public async Task Bad_connections_are_closed_without_disturbing_an_established_link(string kind)
    {
        var (a, b) = await PairAsync();
        using var raw = new TcpClient();
        await raw.ConnectAsync(b.LocalEndPoint);
        var stream = raw.GetStream();
        switch (kind)
        {
            case "garbage":
                await stream.WriteAsync("\0\0\0\x10GET / HTTP/1.1\r\n\r\n"u8.ToArray());
                break;
            case "oversized":
                var prefix = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(prefix, int.MaxValue);
                await stream.WriteAsync(prefix);
                break;
            default:
                // Says nothing: the handshake timeout closes it.
                break;
        }

        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(Patience);
        Assert.Equal(0, await ReadToEndAsync(stream, buffer, timeout.Token));

        Assert.True(a.TrySend("b", Stanza(7)));
        Assert.Equal([7], await ReceiveHopsAsync(b, 1));
    }

    private static async Task<int> ReadToEndAsync(NetworkStream stream, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            while (await stream.ReadAsync(buffer, cancellationToken) is var read and > 0)
            {
            }

            return 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private async Task<(NoticeChannel A, NoticeChannel B)> PairAsync()
    {
        var a = await StartAsync("a", Secret);
        var b = await StartAsync("b", Secret);
        a.SetPeers([Peer(b, "b")]);
        b.SetPeers([Peer(a, "a")]);
        Assert.Equal("b", (await NextAsync<LinkUp>(a)).NodeId);
        Assert.Equal("a", (await NextAsync<LinkUp>(b)).NodeId);
        return (a, b);
    }

    private async Task<NoticeChannel> StartAsync(string id, byte[]? secret, int port = 0, int queueLength = 1024)
    {
        var channel = new NoticeChannel(
            new NoticeChannelOptions
            {
                NodeId = id,
                ListenHost = "127.0.0.1",
                ListenPort = port,
                Secret = secret,
                QueueLength = queueLength,
                HandshakeTimeout = TimeSpan.FromSeconds(1),
                MaxMessageSize = 64 * 1024,
                MaxReconnectBackoff = TimeSpan.FromMilliseconds(300),
            },
            NullLoggerFactory.Instance);
        channels.Add(channel);
        await channel.StartAsync(CancellationToken.None);
        return channel;
    }

    private static NoticePeer Peer(NoticeChannel channel, string id) => new(id, "127.0.0.1", channel.LocalEndPoint.Port, 1);

    private static NoticeEnvelope Stanza(int hops) => new() { Stanza = new RoutedStanza { Target = "u@localhost/r", Hops = (uint)hops } };

    private static int FreePort(out int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        port = ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
        return port;
    }

    private static async Task<T> NextAsync<T>(NoticeChannel channel)
        where T : NoticeEvent
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            if (await channel.Events.ReadAsync(timeout.Token) is T wanted)
            {
                return wanted;
            }
        }
    }

    private static async Task<List<int>> ReceiveHopsAsync(NoticeChannel channel, int count)
    {
        var hops = new List<int>();
        using var timeout = new CancellationTokenSource(Patience);
        while (hops.Count < count)
        {
            if (await channel.Events.ReadAsync(timeout.Token) is NoticeReceived { Envelope.Stanza: { } stanza })
            {
                hops.Add((int)stanza.Hops);
            }
        }

        return hops;
    }
}
