using System.Diagnostics;
using Xunit.Abstractions;
using ZkFire.ZooKeeper.Server.Quorum.Election;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;
using ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Election;

public sealed class FastLeaderElectionTests(ITestOutputHelper output)
{
    /// <summary>
    /// Far above what an election takes here (tens of milliseconds, a hundred or two with losses; the log says): a
    /// guard against a hung election, with room for the first one's JIT on a machine shared with builds.
    /// </summary>
    private static readonly TimeSpan ElectionLimit = TimeSpan.FromSeconds(5);

    private readonly TestOutputLoggerFactory loggers = new(output);

    public static TheoryData<int> Sizes() => [3, 5];

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task The_member_with_the_most_recent_history_is_elected_and_every_member_agrees(int size)
    {
        await using var ensemble = new ElectionEnsemble(size, new SimulatedNetwork(size), loggers);
        await ensemble.StartAllAsync();

        // Member 2 has the newest epoch though not the highest zxid; the others tie on older histories.
        (long Zxid, long Epoch)[] histories = [(0x100000009, 1), (0x200000001, 2), (0x100000004, 1), (0x100000009, 1), (0x100000002, 1)];
        var votes = await ElectAsync(ensemble.Voters.Select(id => (ensemble[id], histories[id - 1])));

        Assert.All(votes, v => Assert.Equal(new Vote(2, 0x200000001, 1, 2), v));
        Assert.True(ensemble.IsSettled(out var leader));
        Assert.Equal(2, leader);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task Equal_histories_elect_the_highest_id(int size)
    {
        await using var ensemble = new ElectionEnsemble(size, new SimulatedNetwork(size), loggers);
        await ensemble.StartAllAsync();

        var votes = await ElectAsync(ensemble.Members.Select(m => (m, (0x100000003L, 1L))));

        Assert.All(votes, v => Assert.Equal(size, v.Leader));
        Assert.Equal(PeerState.Leading, ensemble[size].Election.State);
    }

    [Fact]
    public async Task A_restarted_member_follows_the_running_leader_without_disturbing_it()
    {
        await using var ensemble = new ElectionEnsemble(3, new SimulatedNetwork(11), loggers);
        await ensemble.StartAllAsync();
        await ElectAsync(ensemble.Members.Select(m => (m, (0x100000003L, 1L))));
        var before = ensemble.Members.ToDictionary(m => m.Id, m => m.Election.CurrentVote);

        // Member 1 comes back with a history the others never saw (the leader will truncate it): a fresh election
        // would make it leader, but the ensemble is running and it must join it.
        await ensemble.CrashAsync(1);
        var restarted = await ensemble.StartAsync(1);
        var vote = await WithinLimitAsync(restarted.LookForLeaderAsync(0x100000009, 1));

        Assert.Equal(3, vote.Leader);
        Assert.Equal(PeerState.Following, restarted.Election.State);
        Assert.Equal(before[3].ElectionEpoch, vote.ElectionEpoch);
        Assert.Equal(PeerState.Leading, ensemble[3].Election.State);
        Assert.Equal(before[3], ensemble[3].Election.CurrentVote);
        Assert.Equal(PeerState.Following, ensemble[2].Election.State);
        Assert.Equal(before[2], ensemble[2].Election.CurrentVote);
    }

    [Fact]
    public async Task The_survivors_elect_a_new_leader_when_the_leader_crashes()
    {
        await using var ensemble = new ElectionEnsemble(3, new SimulatedNetwork(12), loggers);
        await ensemble.StartAllAsync();
        await ElectAsync(ensemble.Members.Select(m => (m, (0x100000003L, 1L))));

        await ensemble.CrashAsync(3);
        var votes = await ElectAsync(ensemble.Members.Select(m => (m, (0x100000003L, 1L))));

        Assert.All(votes, v => Assert.Equal(new Vote(2, 0x100000003, 2, 1), v));
        Assert.True(ensemble.IsSettled(out var leader));
        Assert.Equal(2, leader);
    }

    [Fact]
    public async Task A_member_whose_notifications_are_lost_joins_once_they_get_through()
    {
        var network = new SimulatedNetwork(13);
        await using var ensemble = new ElectionEnsemble(3, network, loggers);
        await ensemble.StartAllAsync();
        network.Cut(3, 1);
        network.Cut(3, 2);

        var silenced = ensemble[3].LookForLeaderAsync(0x100000003, 1);
        var votes = await ElectAsync([(ensemble[1], (0x100000003L, 1L)), (ensemble[2], (0x100000003L, 1L))]);
        Assert.All(votes, v => Assert.Equal(2, v.Leader));
        await Task.Delay(ElectionEnsemble.Timings.MaxNotificationInterval);
        Assert.False(silenced.IsCompleted);

        // Its next re-sent notification reaches the others, which answer with the leader they have.
        network.Heal();
        var joined = await WithinLimitAsync(silenced);

        Assert.Equal(2, joined.Leader);
        Assert.True(ensemble.IsSettled(out var leader));
        Assert.Equal(2, leader);
    }

    [Fact]
    public async Task Notifications_that_arrive_before_the_election_starts_count_in_it()
    {
        var network = new SimulatedNetwork(21);
        await using var ensemble = new ElectionEnsemble(3, network, loggers);
        await using var one = await JoinByHandAsync(network, 1);
        var two = await ensemble.StartAsync(2);

        // Member 1 votes for member 2 once and never again: member 2 must remember it for its election.
        one.SendElection(2, new Vote(2, 0x100000003, 1, 1).ToNotification(PeerState.Looking));
        await Task.Delay(50);
        var vote = await WithinLimitAsync(two.LookForLeaderAsync(0x100000003, 1));

        Assert.Equal(new Vote(2, 0x100000003, 1, 1), vote);
        Assert.Equal(PeerState.Leading, two.Election.State);
    }

    [Fact]
    public async Task A_member_that_is_not_looking_answers_looking_members_with_its_state_and_no_one_else()
    {
        var network = new SimulatedNetwork(22);
        await using var ensemble = new ElectionEnsemble(3, network, loggers);
        await using var one = await JoinByHandAsync(network, 1);
        var two = await ensemble.StartAsync(2);
        var electing = two.LookForLeaderAsync(0x100000003, 1);
        one.SendElection(2, new Vote(2, 0x100000003, 1, 1).ToNotification(PeerState.Looking));
        await WithinLimitAsync(electing);
        while (one.ElectionInbox.TryRead(out _))
        {
        }

        one.SendElection(2, new Vote(2, 0x100000003, 1, 1).ToNotification(PeerState.Following));
        await Task.Delay(50);
        Assert.False(one.ElectionInbox.TryRead(out _));

        one.SendElection(2, new Vote(1, 0x100000009, 4, 1).ToNotification(PeerState.Looking));
        var answer = await one.ElectionInbox.ReadAsync().AsTask().WaitAsync(ElectionLimit);

        Assert.Equal(2, answer.From);
        Assert.Equal(new Vote(2, 0x100000003, 1, 1).ToNotification(PeerState.Leading), answer.Notification);
    }

    public static TheoryData<int> Seeds() => [.. Enumerable.Range(1, 5)];

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Five_members_on_a_lossy_reordering_network_settle_on_one_leader(int seed)
    {
        var network = new SimulatedNetwork(seed, new NetworkFaults
        {
            ElectionDrop = 0.2,
            ElectionDelay = 0.3,
            MaxElectionDelay = TimeSpan.FromMilliseconds(40),
        });
        await using var ensemble = new ElectionEnsemble(5, network, loggers);
        await ensemble.StartAllAsync();
        long[] zxids = [0x100000007, 0x100000009, 0x100000008, 0x100000009, 0x100000006];

        using var stopLoops = new CancellationTokenSource();
        var loops = ensemble.Members.Select(m => PeerLoopAsync(ensemble, m, zxids[m.Id - 1], stopLoops.Token)).ToList();
        try
        {
            var settled = await SettledAsync(ensemble, TimeSpan.FromSeconds(5));
            output.WriteLine(network.ToString());

            Assert.True(settled, "no single leader followed by everyone");
            Assert.True(ensemble.IsSettled(out var leader));
            Assert.Contains(leader, new long[] { 2, 4 });
        }
        finally
        {
            await stopLoops.CancelAsync();
            await Task.WhenAll(loops);
        }
    }

    /// <summary>
    /// What the quorum peer loop does with an election, as far as it matters here: a member whose leader does not
    /// lead, or a leader that no quorum follows, gives up after a grace period and looks again, as a real member does
    /// when its connection to the leader fails or initLimit passes. Elections may disagree when notifications are lost
    /// (ZooKeeper's too); this is how the ensemble still ends with one leader.
    /// </summary>
    private static async Task PeerLoopAsync(ElectionEnsemble ensemble, ElectionMember member, long lastZxid, CancellationToken cancellationToken)
    {
        var grace = TimeSpan.FromMilliseconds(300);
        try
        {
            while (true)
            {
                var vote = await member.Election.LookForLeaderAsync(lastZxid, 1, cancellationToken);
                var supported = Stopwatch.GetTimestamp();
                while (Stopwatch.GetElapsedTime(supported) < grace)
                {
                    await Task.Delay(10, cancellationToken);
                    if (IsSupported(ensemble, member.Id, vote.Leader))
                    {
                        supported = Stopwatch.GetTimestamp();
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private static bool IsSupported(ElectionEnsemble ensemble, long member, long leader)
    {
        if (leader != member)
        {
            return ensemble.Members.FirstOrDefault(m => m.Id == leader)?.Election.State == PeerState.Leading;
        }

        var followers = ensemble.Members.Count(m =>
            m.Election.State == PeerState.Following && m.Election.CurrentVote.Leader == member);
        return followers + 1 > ensemble.Voters.Length / 2;
    }

    /// <summary>A member without an election, whose notifications the test writes.</summary>
    private static async Task<IQuorumTransport> JoinByHandAsync(SimulatedNetwork network, long id)
    {
        var transport = network.Join(id);
        await transport.StartAsync(CancellationToken.None);
        return transport;
    }

    private static async Task<bool> SettledAsync(ElectionEnsemble ensemble, TimeSpan patience)
    {
        var started = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(started) < patience)
        {
            if (ensemble.IsSettled(out _))
            {
                return true;
            }

            await Task.Delay(10);
        }

        return false;
    }

    /// <summary>Runs the members' elections at once; each must finish within <see cref="ElectionLimit"/>.</summary>
    private static Task<Vote[]> ElectAsync(IEnumerable<(ElectionMember Member, (long Zxid, long Epoch) History)> members) =>
        Task.WhenAll(members.Select(m => WithinLimitAsync(m.Member.LookForLeaderAsync(m.History.Zxid, m.History.Epoch))));

    private static Task<Vote> WithinLimitAsync(Task<Vote> election) => election.WaitAsync(ElectionLimit);
}
