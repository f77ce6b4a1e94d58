using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

public sealed class SimulatedNetworkTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_quiet_network_delivers_election_messages_as_copies_naming_the_sender()
    {
        var net = new SimulatedNetwork(1);
        var (one, two) = await StartPairAsync(net);
        var sent = Vote(7);

        one.SendElection(2, sent);
        var got = await ReadAsync(two.ElectionInbox);

        Assert.Equal(1, got.From);
        Assert.Equal(sent, got.Notification);
        Assert.NotSame(sent, got.Notification);
    }

    [Fact]
    public async Task Dropped_election_messages_never_arrive()
    {
        var net = new SimulatedNetwork(1, new NetworkFaults { ElectionDrop = 1 });
        var (one, two) = await StartPairAsync(net);

        for (var i = 0; i < 20; i++)
        {
            one.SendElection(2, Vote(i));
        }

        await Task.Delay(50);
        Assert.False(two.ElectionInbox.TryRead(out _));
        Assert.Equal(20, net.ElectionDropped);
    }

    [Fact]
    public async Task Delayed_election_messages_arrive_reordered()
    {
        var net = new SimulatedNetwork(3, new NetworkFaults { ElectionDelay = 1, MaxElectionDelay = TimeSpan.FromMilliseconds(40) });
        var (one, two) = await StartPairAsync(net);

        for (var i = 0; i < 30; i++)
        {
            one.SendElection(2, Vote(i));
        }

        var order = new List<long>();
        for (var i = 0; i < 30; i++)
        {
            order.Add((await ReadAsync(two.ElectionInbox)).Notification.ElectionEpoch);
        }

        Assert.Equal(Enumerable.Range(0, 30).Select(i => (long)i), order.Order());
        Assert.NotEqual(order.Order(), order);
    }

    [Fact]
    public async Task The_seed_decides_which_election_messages_are_dropped()
    {
        var first = await DeliveredAsync(seed: 42);
        var again = await DeliveredAsync(seed: 42);
        var other = await DeliveredAsync(seed: 43);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
        Assert.InRange(first.Count, 1, 99);

        static async Task<List<long>> DeliveredAsync(int seed)
        {
            var net = new SimulatedNetwork(seed, new NetworkFaults { ElectionDrop = 0.5 });
            var (one, two) = await StartPairAsync(net);
            for (var i = 0; i < 100; i++)
            {
                one.SendElection(2, Vote(i));
            }

            var delivered = new List<long>();
            while (two.ElectionInbox.TryRead(out var envelope))
            {
                delivered.Add(envelope.Notification.ElectionEpoch);
            }

            return delivered;
        }
    }

    [Fact]
    public async Task A_link_delivers_in_order_even_when_messages_are_delayed()
    {
        var net = new SimulatedNetwork(5, new NetworkFaults { LinkDelay = 0.3, MaxLinkDelay = TimeSpan.FromMilliseconds(5) }, linkCapacity: 16);
        var (one, two) = await StartPairAsync(net);
        await using var learner = await one.ConnectAsync(2, CancellationToken.None);
        await using var leader = await ReadAsync(two.AcceptedLearners);

        var sending = Task.Run(async () =>
        {
            for (var i = 1; i <= 200; i++)
            {
                await learner.SendAsync(Proposal(i), CancellationToken.None);
            }
        });
        var received = new List<long>();
        for (var i = 1; i <= 200; i++)
        {
            received.Add((await leader.ReceiveAsync(Timeout())).Proposal.Zxid);
        }

        await sending;
        Assert.Equal(1, leader.PeerId);
        Assert.Equal(2, learner.PeerId);
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), received);
    }

    [Fact]
    public async Task A_full_link_holds_the_sender_back_until_the_receiver_reads()
    {
        var net = new SimulatedNetwork(1, linkCapacity: 4);
        var (one, two) = await StartPairAsync(net);
        await using var learner = await one.ConnectAsync(2, CancellationToken.None);
        await using var leader = await ReadAsync(two.AcceptedLearners);

        for (var i = 1; i <= 4; i++)
        {
            await learner.SendAsync(Proposal(i), CancellationToken.None);
        }

        var fifth = learner.SendAsync(Proposal(5), CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(fifth.IsCompleted);

        Assert.Equal(1, (await leader.ReceiveAsync(Timeout())).Proposal.Zxid);
        await fifth.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_broken_link_fails_both_ends_and_loses_what_was_in_flight()
    {
        var net = new SimulatedNetwork(1);
        var (one, two) = await StartPairAsync(net);
        await using var learner = await one.ConnectAsync(2, CancellationToken.None);
        await using var leader = await ReadAsync(two.AcceptedLearners);
        await learner.SendAsync(Proposal(1), CancellationToken.None);
        var waiting = learner.ReceiveAsync(Timeout()).AsTask();

        Assert.Equal(1, net.BreakLinks(1, 2));

        await Assert.ThrowsAsync<IOException>(() => waiting.WaitAsync(Patience));
        await Assert.ThrowsAsync<IOException>(async () => await leader.ReceiveAsync(Timeout()));
        await Assert.ThrowsAsync<IOException>(async () => await leader.SendAsync(Proposal(2), CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(async () => await learner.SendAsync(Proposal(2), CancellationToken.None));
        Assert.Equal(1, net.LinksBroken);
        Assert.Empty(net.OpenLinks());
    }

    [Fact]
    public async Task A_closed_link_lets_the_other_end_read_what_was_sent_then_fails_it()
    {
        var net = new SimulatedNetwork(1);
        var (one, two) = await StartPairAsync(net);
        var learner = await one.ConnectAsync(2, CancellationToken.None);
        await using var leader = await ReadAsync(two.AcceptedLearners);
        await learner.SendAsync(Proposal(1), CancellationToken.None);

        await learner.DisposeAsync();

        Assert.Equal(1, (await leader.ReceiveAsync(Timeout())).Proposal.Zxid);
        await Assert.ThrowsAsync<IOException>(async () => await leader.ReceiveAsync(Timeout()));
        await Assert.ThrowsAsync<IOException>(async () => await leader.SendAsync(Proposal(2), CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(async () => await learner.ReceiveAsync(Timeout()));
        Assert.Equal(0, net.LinksBroken);
    }

    [Fact]
    public async Task Sending_may_break_the_link_by_fault()
    {
        var net = new SimulatedNetwork(1, new NetworkFaults { LinkBreak = 1 });
        var (one, two) = await StartPairAsync(net);
        await using var learner = await one.ConnectAsync(2, CancellationToken.None);
        await using var leader = await ReadAsync(two.AcceptedLearners);

        await Assert.ThrowsAsync<IOException>(async () => await learner.SendAsync(Proposal(1), CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(async () => await leader.ReceiveAsync(Timeout()));
    }

    [Fact]
    public async Task A_partition_cuts_elections_and_links_until_healed()
    {
        var net = new SimulatedNetwork(1);
        var members = await StartAsync(net, 1, 2, 3);
        await using var link = await members[3].ConnectAsync(1, CancellationToken.None);
        await using var sameSide = await members[2].ConnectAsync(1, CancellationToken.None);

        net.Partition([1, 2], [3]);

        await Assert.ThrowsAsync<IOException>(async () => await link.ReceiveAsync(Timeout()));
        await Assert.ThrowsAsync<IOException>(() => members[3].ConnectAsync(1, CancellationToken.None));
        members[3].SendElection(1, Vote(1));
        members[1].SendElection(3, Vote(2));
        members[2].SendElection(1, Vote(3));
        Assert.Equal(3, (await ReadAsync(members[1].ElectionInbox)).Notification.ElectionEpoch);
        Assert.False(members[3].ElectionInbox.TryRead(out _));
        Assert.Equal([(2L, 1L)], net.OpenLinks());

        net.Heal();

        await using var again = await members[3].ConnectAsync(1, CancellationToken.None);
        members[3].SendElection(1, Vote(4));
        Assert.Equal(4, (await ReadAsync(members[1].ElectionInbox)).Notification.ElectionEpoch);
    }

    [Fact]
    public async Task A_silent_partition_holds_link_messages_until_healed()
    {
        var net = new SimulatedNetwork(1);
        var (one, two) = await StartPairAsync(net);
        await using var learner = await one.ConnectAsync(2, CancellationToken.None);
        await using var leader = await ReadAsync(two.AcceptedLearners);

        net.Partition([1], [2], breakLinks: false);
        await learner.SendAsync(Proposal(1), CancellationToken.None);
        var receiving = leader.ReceiveAsync(Timeout()).AsTask();
        await Task.Delay(50);

        Assert.False(receiving.IsCompleted);
        Assert.Single(net.OpenLinks());
        await Assert.ThrowsAsync<IOException>(() => one.ConnectAsync(2, CancellationToken.None));

        net.Heal();
        Assert.Equal(1, (await receiving.WaitAsync(Patience)).Proposal.Zxid);
    }

    [Fact]
    public async Task A_silent_link_still_breaks_when_asked()
    {
        var net = new SimulatedNetwork(1);
        var (one, two) = await StartPairAsync(net);
        await using var learner = await one.ConnectAsync(2, CancellationToken.None);
        await using var leader = await ReadAsync(two.AcceptedLearners);
        net.Isolate(2, breakLinks: false);
        await learner.SendAsync(Proposal(1), CancellationToken.None);
        var receiving = leader.ReceiveAsync(Timeout()).AsTask();

        net.BreakLinks(2);

        await Assert.ThrowsAsync<IOException>(() => receiving.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_one_way_cut_loses_messages_one_way_only()
    {
        var net = new SimulatedNetwork(1);
        var (one, two) = await StartPairAsync(net);

        net.Cut(from: 1, to: 2);
        one.SendElection(2, Vote(1));
        two.SendElection(1, Vote(2));

        Assert.Equal(2, (await ReadAsync(one.ElectionInbox)).Notification.ElectionEpoch);
        Assert.False(two.ElectionInbox.TryRead(out _));
        await Assert.ThrowsAsync<IOException>(() => two.ConnectAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task An_isolated_member_reaches_nobody_not_even_members_that_join_later()
    {
        var net = new SimulatedNetwork(1);
        var members = await StartAsync(net, 1, 2);
        net.Isolate(1);
        var late = net.Join(3);
        await late.StartAsync(CancellationToken.None);

        members[1].SendElection(2, Vote(1));
        members[1].SendElection(3, Vote(1));
        late.SendElection(1, Vote(1));
        members[2].SendElection(3, Vote(2));

        Assert.Equal(2, (await ReadAsync(late.ElectionInbox)).Notification.ElectionEpoch);
        Assert.False(members[1].ElectionInbox.TryRead(out _));
        Assert.False(members[2].ElectionInbox.TryRead(out _));
        await Assert.ThrowsAsync<IOException>(() => late.ConnectAsync(1, CancellationToken.None));
    }

    [Fact]
    public async Task A_member_that_joins_again_replaces_its_dead_transport()
    {
        var net = new SimulatedNetwork(1);
        var (one, two) = await StartPairAsync(net);
        await using var link = await one.ConnectAsync(2, CancellationToken.None);

        var restarted = net.Join(2);
        await restarted.StartAsync(CancellationToken.None);

        await Assert.ThrowsAsync<IOException>(async () => await link.ReceiveAsync(Timeout()));
        await Assert.ThrowsAsync<IOException>(() => two.ConnectAsync(1, CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => two.StartAsync(CancellationToken.None));
        one.SendElection(2, Vote(5));
        two.SendElection(1, Vote(6));
        Assert.Equal(5, (await ReadAsync(restarted.ElectionInbox)).Notification.ElectionEpoch);
        Assert.False(one.ElectionInbox.TryRead(out _));
        await using var fresh = await one.ConnectAsync(2, CancellationToken.None);
        Assert.Equal(1, (await ReadAsync(restarted.AcceptedLearners)).PeerId);
    }

    [Fact]
    public async Task A_crashed_member_goes_silent_without_closing_its_inboxes()
    {
        var net = new SimulatedNetwork(1);
        var (one, two) = await StartPairAsync(net);
        await using var link = await one.ConnectAsync(2, CancellationToken.None);

        net.Crash(2);

        await Assert.ThrowsAsync<IOException>(async () => await link.ReceiveAsync(Timeout()));
        await Assert.ThrowsAsync<IOException>(() => one.ConnectAsync(2, CancellationToken.None));
        one.SendElection(2, Vote(1));
        Assert.False(two.ElectionInbox.TryRead(out _));
        Assert.False(two.ElectionInbox.Completion.IsCompleted);

        await two.DisposeAsync();
        Assert.True(two.ElectionInbox.Completion.IsCompleted);
    }

    [Fact]
    public async Task A_member_that_has_not_started_refuses_connections()
    {
        var net = new SimulatedNetwork(1);
        var one = net.Join(1);
        net.Join(2);

        await Assert.ThrowsAsync<IOException>(() => one.ConnectAsync(2, CancellationToken.None));
        await Assert.ThrowsAsync<IOException>(() => one.ConnectAsync(9, CancellationToken.None));
        Assert.Equal(2, net.ConnectsRefused);
    }

    private static Notification Vote(long epoch) => new() { Leader = 1, Zxid = 0x1_0000_0005, ElectionEpoch = epoch, PeerEpoch = 1 };

    private static QuorumMessage Proposal(long zxid) => new() { Proposal = new Proposal { Zxid = zxid, Txn = Google.Protobuf.ByteString.CopyFrom([1, 2, 3]) } };

    private static CancellationToken Timeout() => new CancellationTokenSource(Patience).Token;

    private static async Task<T> ReadAsync<T>(System.Threading.Channels.ChannelReader<T> reader) => await reader.ReadAsync(Timeout());

    private static async Task<(IQuorumTransport One, IQuorumTransport Two)> StartPairAsync(SimulatedNetwork net)
    {
        var members = await StartAsync(net, 1, 2);
        return (members[1], members[2]);
    }

    private static async Task<Dictionary<long, IQuorumTransport>> StartAsync(SimulatedNetwork net, params long[] ids)
    {
        var members = ids.ToDictionary(id => id, net.Join);
        foreach (var member in members.Values)
        {
            await member.StartAsync(CancellationToken.None);
        }

        return members;
    }
}
