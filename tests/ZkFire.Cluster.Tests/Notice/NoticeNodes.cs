using System.Net;
using System.Text;
using Google.Protobuf;
using Xunit.Abstractions;
using ZkFire.Cluster.Notice;
using ZkFire.Cluster.Notice.Messages;
using ZkFire.Interconnect.Tests;

namespace ZkFire.Cluster.Tests.Notice;

/// <summary>
/// Notice channels of a test cluster on loopback ports (port 0), all with one secret unless told otherwise; every
/// channel started is disposed with it.
/// </summary>
internal sealed class NoticeNodes(ITestOutputHelper output) : IAsyncDisposable
{
    public static readonly byte[] Secret = Encoding.UTF8.GetBytes("the cluster's notice secret, 0123");

    private readonly List<NoticeChannel> channels = [];

    public static TimeSpan Patience => TimeSpan.FromSeconds(10);

    public static NoticeChannelOptions Options(string nodeId) => new()
    {
        NodeId = nodeId,
        ListenHost = "127.0.0.1",
        ListenPort = 0,
        Secret = Secret,
        MaxMessageSize = 64 * 1024,
        QueueLength = 1024,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        HandshakeTimeout = TimeSpan.FromSeconds(2),
        MinReconnectBackoff = TimeSpan.FromMilliseconds(20),
        MaxReconnectBackoff = TimeSpan.FromMilliseconds(200),
    };

    public async Task<NoticeChannel> StartAsync(NoticeChannelOptions options)
    {
        var channel = new NoticeChannel(options, new TestOutputLogger(output, options.NodeId));
        channels.Add(channel);
        await channel.StartAsync(CancellationToken.None);
        return channel;
    }

    public Task<NoticeChannel> StartAsync(string nodeId) => StartAsync(Options(nodeId));

    /// <summary>Started channels for <paramref name="ids"/>, each with all the others as peers.</summary>
    public async Task<NoticeChannel[]> StartLinkedAsync(params string[] ids)
    {
        var started = new NoticeChannel[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            started[i] = await StartAsync(ids[i]);
        }

        var peers = ids.Select((id, i) => Peer(id, started[i].LocalEndPoint.Port)).ToList();
        foreach (var channel in started)
        {
            channel.SetPeers(peers);
        }

        return started;
    }

    public static NoticePeer Peer(string nodeId, int port, long incarnation = 1) => new(nodeId, "127.0.0.1", port, incarnation);

    public static NoticePeer Peer(string nodeId, NoticeChannel channel, long incarnation = 1) => Peer(nodeId, channel.LocalEndPoint.Port, incarnation);

    public static NoticeEnvelope Stanza(int seq, int size = 100) => new()
    {
        Stanza = new RoutedStanza { Target = $"user{seq}@example.org/r", Xml = ByteString.CopyFrom(new byte[size]), Hops = (uint)seq },
    };

    /// <summary>The next event matching <paramref name="match"/>, skipping the others.</summary>
    public static async Task<T> NextAsync<T>(NoticeChannel channel, Func<T, bool>? match = null)
        where T : NoticeEvent
    {
        using var timeout = new CancellationTokenSource(Patience);
        while (true)
        {
            if (await channel.Events.ReadAsync(timeout.Token) is T found && (match?.Invoke(found) ?? true))
            {
                return found;
            }
        }
    }

    /// <summary>The next <paramref name="count"/> envelopes from <paramref name="from"/>, as stanza sequence numbers (other events skipped).</summary>
    public static async Task<List<int>> ReceiveStanzasAsync(NoticeChannel channel, string from, int count)
    {
        var received = new List<int>();
        while (received.Count < count)
        {
            var next = await NextAsync<NoticeReceived>(channel, e => e.NodeId == from);
            received.Add((int)next.Envelope.Stanza.Hops);
        }

        return received;
    }

    /// <summary>Nothing but link changes from <paramref name="from"/> waits in the channel's events.</summary>
    public static void AssertNothingReceivedFrom(NoticeChannel channel, string from)
    {
        while (channel.Events.TryRead(out var e))
        {
            Assert.False(e is NoticeReceived && e.NodeId == from, $"an envelope from {from} was surfaced");
        }
    }

    /// <summary>An envelope each way between two linked channels arrives.</summary>
    public static async Task AssertLinkedAsync(NoticeChannel one, string oneId, NoticeChannel two, string twoId, int seq)
    {
        using var timeout = new CancellationTokenSource(Patience);
        Assert.True(await one.SendAsync(twoId, Stanza(seq), timeout.Token));
        Assert.True(await two.SendAsync(oneId, Stanza(seq), timeout.Token));
        Assert.Equal([seq], await ReceiveStanzasAsync(two, oneId, 1));
        Assert.Equal([seq], await ReceiveStanzasAsync(one, twoId, 1));
    }

    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in channels)
        {
            await channel.DisposeAsync();
        }
    }
}
