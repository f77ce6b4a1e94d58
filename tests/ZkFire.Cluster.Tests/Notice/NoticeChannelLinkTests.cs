using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;
using ZkFire.Cluster.Notice;
using ZkFire.Cluster.Notice.Messages;
using ZkFire.Interconnect.Tests;
using ZkFire.ZooKeeper.Client.Tests;
using static ZkFire.Cluster.Tests.Notice.NoticeNodes;

namespace ZkFire.Cluster.Tests.Notice;

/// <summary>The notice channel over real loopback sockets.</summary>
public sealed class NoticeChannelLinkTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Envelopes_flow_both_ways_in_order_between_two_nodes()
    {
        await using var nodes = new NoticeNodes(output);
        var (a, b) = await nodes.StartLinkedAsync("a", "b") is [var x, var y] ? (x, y) : default;
        using var timeout = new CancellationTokenSource(Patience);

        const int Count = 500;
        var sending = Task.WhenAll(
            Task.Run(async () =>
            {
                for (var i = 1; i <= Count; i++)
                {
                    Assert.True(await a.SendAsync("b", Stanza(i), timeout.Token));
                }
            }),
            Task.Run(async () =>
            {
                for (var i = 1; i <= Count; i++)
                {
                    Assert.True(await b.SendAsync("a", Stanza(i), timeout.Token));
                }
            }));

        Assert.Equal("b", (await NextAsync<LinkUp>(a)).NodeId);
        Assert.Equal(Enumerable.Range(1, Count), await ReceiveStanzasAsync(a, "b", Count));
        Assert.Equal(Enumerable.Range(1, Count), await ReceiveStanzasAsync(b, "a", Count));
        await sending;
    }

    [Fact]
    public async Task Every_pair_of_three_nodes_links_once_and_keeps_order()
    {
        await using var nodes = new NoticeNodes(output);
        var channels = await nodes.StartLinkedAsync("n1", "n2", "n3");
        string[] ids = ["n1", "n2", "n3"];
        using var timeout = new CancellationTokenSource(Patience);

        for (var i = 1; i <= 100; i++)
        {
            for (var from = 0; from < 3; from++)
            {
                for (var to = 0; to < 3; to++)
                {
                    if (from != to)
                    {
                        Assert.True(await channels[from].SendAsync(ids[to], Stanza((100 * from) + i), timeout.Token));
                    }
                }
            }
        }

        for (var to = 0; to < 3; to++)
        {
            var received = new Dictionary<string, List<int>>();
            for (var n = 0; n < 200; n++)
            {
                var e = await NextAsync<NoticeReceived>(channels[to]);
                (received.TryGetValue(e.NodeId, out var list) ? list : received[e.NodeId] = []).Add((int)e.Envelope.Stanza.Hops);
            }

            foreach (var from in Enumerable.Range(0, 3).Where(f => f != to))
            {
                Assert.Equal(Enumerable.Range((100 * from) + 1, 100), received[ids[from]]);
            }
        }
    }

    [Fact]
    public async Task Envelopes_queued_while_a_link_is_down_arrive_in_order_after_it_reconnects()
    {
        await using var nodes = new NoticeNodes(output);
        var a = await nodes.StartAsync("a");
        var b = await nodes.StartAsync("b");

        // a dials b through a relay the test can cut.
        await using var relay = TcpProxy.Start($"127.0.0.1:{b.LocalEndPoint.Port}");
        var relayPort = int.Parse(relay.ConnectString.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);
        a.SetPeers([Peer("b", relayPort)]);
        b.SetPeers([Peer("a", a)]);
        await NextAsync<LinkUp>(a);
        await NextAsync<LinkUp>(b);
        await AssertLinkedAsync(a, "a", b, "b", 0);

        relay.Refuse(true);
        relay.Cut();
        Assert.Contains("b", (await NextAsync<LinkDown>(a)).NodeId, StringComparison.Ordinal);
        for (var i = 1; i <= 50; i++)
        {
            Assert.True(a.TrySend("b", Stanza(i)));
        }

        relay.Refuse(false);
        Assert.Equal("b", (await NextAsync<LinkUp>(a)).NodeId);
        Assert.Equal(Enumerable.Range(1, 50), await ReceiveStanzasAsync(b, "a", 50));
    }

    [Fact]
    public async Task A_full_queue_makes_SendAsync_wait_and_TrySend_fail_and_removing_the_peer_drops_it()
    {
        await using var nodes = new NoticeNodes(output);
        var a = await nodes.StartAsync(Options("a") with { QueueLength = 16 });
        var downPort = FreePort();
        a.SetPeers([Peer("b", downPort)]);

        for (var i = 1; i <= 16; i++)
        {
            Assert.True(a.TrySend("b", Stanza(i)));
        }

        Assert.False(a.TrySend("b", Stanza(17)));
        Assert.False(a.TrySend("nobody", Stanza(1)));
        var waiting = a.SendAsync("b", Stanza(17), CancellationToken.None).AsTask();
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);

        a.SetPeers([]);
        Assert.False(await waiting.WaitAsync(Patience));
        Assert.False(await a.SendAsync("b", Stanza(18), CancellationToken.None));

        // b comes up where it was registered: none of what was queued for its removed registration reaches it.
        var b = await nodes.StartAsync(Options("b") with { ListenPort = downPort });
        a.SetPeers([Peer("b", downPort)]);
        b.SetPeers([Peer("a", a)]);
        Assert.True(a.TrySend("b", Stanza(100)));
        Assert.Equal([100], await ReceiveStanzasAsync(b, "a", 1));
    }

    [Fact]
    public async Task A_new_incarnation_gets_a_new_link_and_queue()
    {
        await using var nodes = new NoticeNodes(output);
        var (a, b) = await nodes.StartLinkedAsync("a", "b") is [var x, var y] ? (x, y) : default;
        await AssertLinkedAsync(a, "a", b, "b", 1);

        a.SetPeers([Peer("b", b, incarnation: 2)]);

        Assert.Equal("b", (await NextAsync<LinkUp>(a)).NodeId);
        await AssertLinkedAsync(a, "a", b, "b", 2);
    }

    [Fact]
    public async Task A_peer_that_stops_answering_pings_loses_its_link_and_gets_it_back()
    {
        await using var nodes = new NoticeNodes(output);
        var quick = Options("a") with { PingInterval = TimeSpan.FromMilliseconds(100), PongTimeout = TimeSpan.FromMilliseconds(300) };
        var a = await nodes.StartAsync(quick);

        // b pings at the default pace: with both quick, b's pong timeout could fire first and close the link from its
        // side, and a would see a closed connection instead of a missing pong (seen once in CI).
        var b = await nodes.StartAsync(Options("b"));
        await using var relay = TcpProxy.Start($"127.0.0.1:{b.LocalEndPoint.Port}");
        a.SetPeers([Peer("b", int.Parse(relay.ConnectString.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture))]);
        b.SetPeers([Peer("a", a)]);
        await NextAsync<LinkUp>(a);

        // Idle pings keep a healthy link up.
        await Task.Delay(600);
        await AssertLinkedAsync(a, "a", b, "b", 1);
        AssertNoLinkDown(a);

        relay.Freeze();
        var down = await NextAsync<LinkDown>(a);

        Assert.Contains("pong", down.Reason, StringComparison.Ordinal);
        Assert.Equal("b", (await NextAsync<LinkUp>(a)).NodeId);
        await AssertLinkedAsync(a, "a", b, "b", 2);
    }

    [Fact]
    public async Task Strangers_impostors_and_bad_frames_are_refused_without_disturbing_other_links()
    {
        await using var nodes = new NoticeNodes(output);
        var (a, b) = await nodes.StartLinkedAsync("a", "b") is [var x, var y] ? (x, y) : default;
        await AssertLinkedAsync(a, "a", b, "b", 1);
        var port = b.LocalEndPoint.Port;

        // b also knows node "0c" (which sorts first, so it dials b) and "c" (which b dials), and a knows "z" at a
        // listener of the test's.
        using var impostor = new TcpListener(IPAddress.Loopback, 0);
        impostor.Start();
        b.SetPeers([Peer("a", a), Peer("0c", FreePort()), Peer("c", FreePort())]);
        a.SetPeers([Peer("b", b), Peer("z", ((IPEndPoint)impostor.LocalEndpoint).Port)]);

        // The impostor at z's address cannot prove the secret: a refuses it.
        using (var accepted = await impostor.AcceptSocketAsync().WaitAsync(Patience))
        {
            await using var peer = new RawLinkPeer(accepted);
            await peer.ImpersonateAsync();
            await peer.SendAsync(Stanza(1));
            Assert.True(await peer.IsClosedByPeerAsync());
        }

        // An unknown node, a wrong secret, no secret, the wrong direction (b dials c), a wrong purpose.
        await AssertRefusedAsync(port, "x", Secret);
        await AssertRefusedAsync(port, "0c", Encoding.UTF8.GetBytes("not the cluster's secret, not at all"));
        await AssertRefusedAsync(port, "0c", null);
        await AssertRefusedAsync(port, "c", Secret);
        await using (var raw = await RawLinkPeer.ConnectAsync(port))
        {
            await Assert.ThrowsAsync<IOException>(() => raw.HandshakeAsync("0c", "b", "quorum", Secret));
        }

        // Garbage, a silent connection (closed after the handshake timeout) and an oversized frame from a proven peer.
        await using (var raw = await RawLinkPeer.ConnectAsync(port))
        {
            var noise = new byte[64];
            BinaryPrimitives.WriteInt32BigEndian(noise, 60);
            noise.AsSpan(4).Fill(0xee);
            await raw.SendRawAsync(noise);
            Assert.True(await raw.IsClosedByPeerAsync());
        }

        await using (var silent = await RawLinkPeer.ConnectAsync(port))
        {
            Assert.True(await silent.IsClosedByPeerAsync());
        }

        await using (var raw = await RawLinkPeer.ConnectAsync(port))
        {
            await raw.HandshakeAsync("0c", "b", NoticeChannel.Purpose, Secret);
            await raw.SendRawAsync(RawLinkPeer.Frame(Stanza(1, size: 64 * 1024)));
            Assert.True(await raw.IsClosedByPeerAsync());
        }

        await AssertLinkedAsync(a, "a", b, "b", 2);
        AssertNothingReceivedFrom(b, "0c");
        AssertNothingReceivedFrom(a, "z");
        AssertNoLinkDown(a);
    }

    [Fact]
    public async Task Without_a_secret_only_peers_at_their_registered_host_are_linked()
    {
        await using var nodes = new NoticeNodes(output);
        var a = await nodes.StartAsync(Options("a") with { Secret = null });
        var b = await nodes.StartAsync(Options("b") with { Secret = null });
        a.SetPeers([Peer("b", b)]);

        // b has a registered at another address, so a's connection from 127.0.0.1 is refused.
        b.SetPeers([new NoticePeer("a", "127.0.0.2", a.LocalEndPoint.Port, 1)]);
        await Task.Delay(300);
        Assert.False(b.Events.TryRead(out _));

        b.SetPeers([Peer("a", a)]);
        Assert.Equal("a", (await NextAsync<LinkUp>(b)).NodeId);
        await AssertLinkedAsync(a, "a", b, "b", 1);

        // A node with the secret is not let in by one without.
        await AssertRefusedAsync(b.LocalEndPoint.Port, "a", Secret);
    }

    [Fact]
    public async Task An_envelope_over_the_limit_is_refused_at_the_sender()
    {
        await using var nodes = new NoticeNodes(output);
        var a = await nodes.StartAsync("a");
        a.SetPeers([Peer("b", FreePort())]);

        Assert.False(a.TrySend("b", Stanza(1, size: 64 * 1024)));
        Assert.False(await a.SendAsync("b", Stanza(1, size: 64 * 1024), CancellationToken.None));
        Assert.True(a.TrySend("b", Stanza(2)));
    }

    private static async Task AssertRefusedAsync(int port, string nodeId, byte[]? secret)
    {
        await using var raw = await RawLinkPeer.ConnectAsync(port);
        await Assert.ThrowsAsync<IOException>(() => raw.HandshakeAsync(nodeId, "b", NoticeChannel.Purpose, secret));
        Assert.True(await raw.IsClosedByPeerAsync());
    }

    private static void AssertNoLinkDown(NoticeChannel channel)
    {
        while (channel.Events.TryRead(out var e))
        {
            Assert.IsNotType<LinkDown>(e);
        }
    }
}
