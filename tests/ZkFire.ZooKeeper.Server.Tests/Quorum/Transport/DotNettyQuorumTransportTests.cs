using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit.Abstractions;
using ZkFire.Interconnect.Tests;
using ZkFire.ZooKeeper.Server.Quorum;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Transport;

/// <summary>The DotNetty quorum transport over real loopback sockets.</summary>
public sealed class DotNettyQuorumTransportTests(ITestOutputHelper output)
{
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes(TransportEnsemble.SharedSecret);

    [Fact]
    public async Task Election_notifications_reach_every_member_tagged_with_their_sender()
    {
        await using var ensemble = new TransportEnsemble(3, output);
        var transports = new Dictionary<long, DotNettyQuorumTransport>();
        foreach (var member in ensemble.Members)
        {
            transports[member.Id] = await ensemble.StartAsync(member.Id);
        }

        foreach (var (from, transport) in transports)
        {
            foreach (var to in transports.Keys)
            {
                transport.SendElection(to, new Notification { Leader = from, Zxid = 100 * from + to, ElectionEpoch = 1 });
            }
        }

        foreach (var (id, transport) in transports)
        {
            var received = new List<ElectionEnvelope>();
            using var timeout = new CancellationTokenSource(TransportEnsemble.Patience);
            while (received.Count < 3)
            {
                received.Add(await transport.ElectionInbox.ReadAsync(timeout.Token));
            }

            Assert.Equal([1L, 2L, 3L], received.Select(e => e.From).Order());
            Assert.All(received, e => Assert.Equal((e.From, 100 * e.From + id), (e.Notification.Leader, e.Notification.Zxid)));
        }
    }

    [Fact]
    public async Task A_link_fails_with_IOException_when_the_other_member_goes_away()
    {
        await using var ensemble = new TransportEnsemble(2, output);
        var leader = await ensemble.StartAsync(1);
        var learner = await ensemble.StartAsync(2);
        using var timeout = new CancellationTokenSource(TransportEnsemble.Patience);
        await using var link = await learner.ConnectAsync(1, timeout.Token);
        await leader.AcceptedLearners.ReadAsync(timeout.Token);

        await leader.DisposeAsync();

        await Assert.ThrowsAsync<IOException>(async () => await link.ReceiveAsync(timeout.Token));
        await Assert.ThrowsAsync<IOException>(async () => await link.SendAsync(new QuorumMessage { Ack = new Ack { Zxid = 1 } }, timeout.Token));
        var error = await Assert.ThrowsAsync<IOException>(() => learner.ConnectAsync(1, timeout.Token));
        Assert.Contains("quorum port of member 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_member_with_a_wrong_secret_gets_nothing_delivered()
    {
        await using var ensemble = new TransportEnsemble(2, output);
        var leader = await ensemble.StartAsync(1);
        var wrong = ensemble.WriteSecret("not the ensemble's secret at all");
        var intruder = await ensemble.StartAsync(2, new QuorumTransportOptions { SecretFile = wrong });

        await Assert.ThrowsAsync<IOException>(() => intruder.ConnectAsync(1, CancellationToken.None));
        intruder.SendElection(1, new Notification { Leader = 2 });
        await Task.Delay(500);

        Assert.False(leader.AcceptedLearners.TryRead(out _));
        Assert.False(leader.ElectionInbox.TryRead(out _));
    }

    [Fact]
    public async Task A_learner_refuses_a_leader_that_cannot_prove_the_secret()
    {
        await using var ensemble = new TransportEnsemble(2, output);
        var learner = await ensemble.StartAsync(2);

        // An impostor on member 1's quorum port that plays along but cannot compute the proof.
        using var impostor = new TcpListener(IPAddress.Loopback, ensemble[1].QuorumPort);
        impostor.Start();
        var connecting = learner.ConnectAsync(1, CancellationToken.None);
        await using var peer = new RawLinkPeer(await impostor.AcceptSocketAsync());
        var hello = await peer.ImpersonateAsync();
        Assert.Equal(("2", "1", "quorum", true), (hello.From, hello.To, hello.Purpose, hello.UsesSecret));
        await peer.SendAsync(new QuorumMessage { LeaderInfo = new LeaderInfo { NewEpoch = 7 } });

        var error = await Assert.ThrowsAsync<IOException>(() => connecting);
        Assert.Contains("proof", error.Message, StringComparison.Ordinal);
        Assert.True(await peer.IsClosedByPeerAsync());
    }

    [Fact]
    public async Task A_member_that_is_not_configured_is_refused()
    {
        await using var ensemble = new TransportEnsemble(2, output);
        var leader = await ensemble.StartAsync(1);

        // Member 9 holds the secret and lists itself, but member 1 does not know it.
        var stranger = ensemble.Members[1] with { Id = 9 };
        var impostor = await ensemble.StartAsync(9, members: [ensemble[1], stranger]);

        await Assert.ThrowsAsync<IOException>(() => impostor.ConnectAsync(1, CancellationToken.None));
        await using var raw = await RawLinkPeer.ConnectAsync(ensemble[1].ElectionPort);
        await Assert.ThrowsAsync<IOException>(() => raw.HandshakeAsync("9", "1", "election", Secret));
        Assert.False(leader.AcceptedLearners.TryRead(out _));
    }

    [Fact]
    public async Task Without_a_secret_members_are_recognised_by_address_and_claimed_id()
    {
        await using var ensemble = new TransportEnsemble(2, output);
        var open = new QuorumTransportOptions { HandshakeTimeout = TimeSpan.FromSeconds(2) };
        var one = await ensemble.StartAsync(1, open);
        var two = await ensemble.StartAsync(2, open);
        using var timeout = new CancellationTokenSource(TransportEnsemble.Patience);

        two.SendElection(1, new Notification { Leader = 2 });
        Assert.Equal(2, (await one.ElectionInbox.ReadAsync(timeout.Token)).From);
        await using var link = await two.ConnectAsync(1, timeout.Token);
        await using var accepted = await one.AcceptedLearners.ReadAsync(timeout.Token);
        await AssertWorksAsync(link, accepted, timeout.Token);

        // A member that claims an id nobody configured, or brings a secret this member does not have, is refused.
        await using var stranger = await RawLinkPeer.ConnectAsync(ensemble[1].ElectionPort);
        await Assert.ThrowsAsync<IOException>(() => stranger.HandshakeAsync("7", "1", "election", secret: null));
        Assert.True(await stranger.IsClosedByPeerAsync());
        await using var secretive = await RawLinkPeer.ConnectAsync(ensemble[1].ElectionPort);
        await Assert.ThrowsAsync<IOException>(() => secretive.HandshakeAsync("2", "1", "election", Secret));

        // Nor does a member's id open the quorum port for anything but quorum messages once the link is up.
        await using var member = await RawLinkPeer.ConnectAsync(ensemble[1].QuorumPort);
        await member.HandshakeAsync("2", "1", "quorum", secret: null);
        await using var memberAccepted = await one.AcceptedLearners.ReadAsync(timeout.Token);
        await member.SendAsync(new QuorumMessage { Notification = new Notification { Leader = 2 } });
        await Assert.ThrowsAsync<IOException>(async () => await memberAccepted.ReceiveAsync(timeout.Token));
        Assert.True(await member.IsClosedByPeerAsync());
    }

    [Fact]
    public async Task Members_named_by_host_name_reach_each_other()
    {
        await using var ensemble = new TransportEnsemble(2, output, host: "localhost");
        var one = await ensemble.StartAsync(1, new QuorumTransportOptions { HandshakeTimeout = TimeSpan.FromSeconds(2) });
        var two = await ensemble.StartAsync(2, new QuorumTransportOptions { HandshakeTimeout = TimeSpan.FromSeconds(2) });
        using var timeout = new CancellationTokenSource(TransportEnsemble.Patience);

        two.SendElection(1, new Notification { Leader = 2 });

        Assert.Equal(2, (await one.ElectionInbox.ReadAsync(timeout.Token)).From);
    }

    [Fact]
    public async Task Notifications_to_itself_are_delivered_locally()
    {
        await using var ensemble = new TransportEnsemble(1, output);
        var alone = await ensemble.StartAsync(1);

        alone.SendElection(1, new Notification { Leader = 1, Zxid = 9 });

        Assert.True(alone.ElectionInbox.TryRead(out var envelope));
        Assert.Equal((1L, 9L), (envelope.From, envelope.Notification.Zxid));
    }

    [Fact]
    public async Task A_restarted_member_rebinds_its_ports_at_once()
    {
        await using var ensemble = new TransportEnsemble(2, output);
        var leader = await ensemble.StartAsync(1);
        var learner = await ensemble.StartAsync(2);
        using var timeout = new CancellationTokenSource(TransportEnsemble.Patience);
        await using (await learner.ConnectAsync(1, timeout.Token))
        {
            await leader.AcceptedLearners.ReadAsync(timeout.Token);
            await leader.DisposeAsync();
        }

        var restarted = await ensemble.StartAsync(1);
        await using var link = await learner.ConnectAsync(1, timeout.Token);
        await using var accepted = await restarted.AcceptedLearners.ReadAsync(timeout.Token);
        await AssertWorksAsync(link, accepted, timeout.Token);
    }

    [Theory]
    [InlineData(null, "cannot be read")]
    [InlineData("short secret\n", "at least 16 bytes")]
    public async Task A_missing_or_short_secret_file_stops_the_start(string? content, string expected)
    {
        await using var ensemble = new TransportEnsemble(1, output);
        var path = content is null ? Path.Combine(Path.GetTempPath(), "zkfire-missing-" + Guid.NewGuid().ToString("N")) : ensemble.WriteSecret(content);

        var error = await Assert.ThrowsAsync<IOException>(() => ensemble.StartAsync(1, new QuorumTransportOptions { SecretFile = path }));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    private static async Task AssertWorksAsync(IPeerLink learner, IPeerLink leader, CancellationToken cancellationToken)
    {
        await learner.SendAsync(new QuorumMessage { Ack = new Ack { Zxid = 42 } }, cancellationToken);
        Assert.Equal(42, (await leader.ReceiveAsync(cancellationToken)).Ack.Zxid);
        await leader.SendAsync(new QuorumMessage { Commit = new Commit { Zxid = 42 } }, cancellationToken);
        Assert.Equal(42, (await learner.ReceiveAsync(cancellationToken)).Commit.Zxid);
    }
}
