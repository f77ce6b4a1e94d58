using ZkFire.ZooKeeper.Server.Quorum.Election;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Election;

public sealed class LookingRoundTests
{
    private static readonly ElectionTimings Timings = new()
    {
        FinalizeWait = TimeSpan.FromMilliseconds(20),
        MaxNotificationInterval = TimeSpan.FromMilliseconds(100),
    };

    private readonly List<(long To, Notification Notification)> sent = [];

    [Fact]
    public void Votes_order_by_epoch_then_zxid_then_id()
    {
        Assert.True(new Vote(1, Zxid: 5, 0, PeerEpoch: 2).IsBetterThan(new Vote(3, Zxid: 9, 0, PeerEpoch: 1)));
        Assert.True(new Vote(1, Zxid: 9, 0, PeerEpoch: 1).IsBetterThan(new Vote(3, Zxid: 5, 0, PeerEpoch: 1)));
        Assert.True(new Vote(3, Zxid: 5, 0, PeerEpoch: 1).IsBetterThan(new Vote(1, Zxid: 5, 0, PeerEpoch: 1)));
        Assert.False(new Vote(3, 5, ElectionEpoch: 1, 1).IsBetterThan(new Vote(3, 5, ElectionEpoch: 7, 1)));
        Assert.False(new Vote(3, 5, ElectionEpoch: 7, 1).IsBetterThan(new Vote(3, 5, ElectionEpoch: 1, 1)));
    }

    [Fact]
    public void Start_announces_a_vote_for_itself_to_every_other_voter()
    {
        var round = Round(myId: 2, voters: 3, clock: 4, lastZxid: 0x100000007, epoch: 1);

        round.Start();

        Assert.Equal([1L, 3L], sent.Select(s => s.To).Order());
        Assert.All(sent, s => AssertNotification(s.Notification, leader: 2, zxid: 0x100000007, clock: 4, epoch: 1));
        Assert.Equal(new Vote(2, 0x100000007, 4, 1), round.Proposal);
        Assert.Null(round.Decision);
        Assert.Equal(Timings.FinalizeWait, round.Wait);
    }

    [Fact]
    public void Adopts_a_better_vote_of_the_same_election_and_announces_it()
    {
        var round = Started(myId: 1, voters: 3, zxid: 5);

        round.Receive(2, Looking(leader: 2, zxid: 5, clock: 1));

        Assert.Equal(new Vote(2, 5, 1, 1), round.Proposal);
        Assert.Equal([2L, 3L], sent.Select(s => s.To).Order());
        Assert.All(sent, s => AssertNotification(s.Notification, leader: 2, zxid: 5, clock: 1, epoch: 1));
    }

    [Fact]
    public void Keeps_its_vote_against_a_worse_one_without_announcing_anything()
    {
        var round = Started(myId: 3, voters: 5, zxid: 5);

        round.Receive(1, Looking(leader: 1, zxid: 5, clock: 1));
        round.Receive(2, Looking(leader: 2, zxid: 9, clock: 1, epoch: 0));

        Assert.Equal(new Vote(3, 5, 1, 1), round.Proposal);
        Assert.Empty(sent);
    }

    [Fact]
    public void A_higher_zxid_wins_over_a_higher_id()
    {
        var round = Started(myId: 3, voters: 3, zxid: 5);

        round.Receive(1, Looking(leader: 1, zxid: 6, clock: 1));

        Assert.Equal(1, round.Proposal.Leader);
    }

    [Fact]
    public void Decides_for_itself_after_the_finalize_wait_once_a_quorum_of_three_agrees()
    {
        var round = Started(myId: 3, voters: 3, zxid: 5);

        round.Receive(1, Looking(leader: 3, zxid: 5, clock: 1));

        Assert.Null(round.Decision);
        Assert.Equal(Timings.FinalizeWait, round.Wait);
        round.Timeout();
        Assert.Equal(new Vote(3, 5, 1, 1), round.Decision);
        Assert.Empty(sent);
    }

    [Fact]
    public void Needs_three_agreeing_votes_of_five()
    {
        var round = Started(myId: 1, voters: 5, zxid: 5);

        round.Receive(5, Looking(leader: 5, zxid: 5, clock: 1));
        round.Timeout();
        Assert.Null(round.Decision);

        round.Receive(4, Looking(leader: 4, zxid: 5, clock: 1));
        round.Timeout();
        Assert.Null(round.Decision);

        round.Receive(2, Looking(leader: 5, zxid: 5, clock: 1));
        round.Timeout();
        Assert.Equal(new Vote(5, 5, 1, 1), round.Decision);
    }

    [Fact]
    public void A_better_notification_during_the_finalize_wait_resumes_the_election()
    {
        var round = Started(myId: 2, voters: 3, zxid: 5);
        round.Receive(1, Looking(leader: 2, zxid: 5, clock: 1));
        sent.Clear();

        round.Receive(3, Looking(leader: 3, zxid: 5, clock: 1));

        Assert.Equal(3, round.Proposal.Leader);
        Assert.Equal([1L, 3L], sent.Select(s => s.To).Order());
        Assert.Null(round.Decision);
        round.Receive(1, Looking(leader: 3, zxid: 5, clock: 1));
        round.Timeout();
        Assert.Equal(new Vote(3, 5, 1, 1), round.Decision);
    }

    [Fact]
    public void A_worse_notification_during_the_finalize_wait_changes_nothing()
    {
        var round = Started(myId: 3, voters: 3, zxid: 5);
        round.Receive(1, Looking(leader: 3, zxid: 5, clock: 1));

        round.Receive(2, Looking(leader: 2, zxid: 5, clock: 1));

        Assert.Equal(Timings.FinalizeWait, round.Wait);
        round.Timeout();
        Assert.Equal(3, round.Decision?.Leader);
        Assert.Empty(sent);
    }

    [Fact]
    public void A_higher_election_epoch_discards_the_votes_received_and_starts_over_from_the_better_of_the_two()
    {
        var round = Started(myId: 1, voters: 5, zxid: 5);
        round.Receive(2, Looking(leader: 2, zxid: 5, clock: 1));
        sent.Clear();

        // Member 3 is in election 4 and proposes a candidate behind our own history: we go back to voting for
        // ourselves, not for member 2, whose candidacy we only adopted in the old election.
        round.Receive(3, Looking(leader: 3, zxid: 4, clock: 4));

        Assert.Equal(new Vote(1, 5, 4, 1), round.Proposal);
        Assert.Equal(4, round.LogicalClock);
        Assert.Equal([2L, 3L, 4L, 5L], sent.Select(s => s.To).Order());
        Assert.All(sent, s => AssertNotification(s.Notification, leader: 1, zxid: 5, clock: 4, epoch: 1));

        // Only votes of election 4 count now: member 2 needs three of them.
        round.Receive(4, Looking(leader: 2, zxid: 5, clock: 4));
        Assert.Equal(new Vote(2, 5, 4, 1), round.Proposal);
        round.Timeout();
        Assert.Null(round.Decision);
        round.Receive(2, Looking(leader: 2, zxid: 5, clock: 4));
        round.Timeout();
        Assert.Equal(new Vote(2, 5, 4, 1), round.Decision);
    }

    [Fact]
    public void A_vote_overtaken_in_transit_by_a_later_one_of_the_same_member_is_ignored()
    {
        var round = Started(myId: 3, voters: 5, zxid: 5);

        round.Receive(1, Looking(leader: 3, zxid: 5, clock: 1));
        round.Receive(1, Looking(leader: 1, zxid: 5, clock: 1));
        round.Receive(2, Looking(leader: 3, zxid: 5, clock: 1));

        round.Timeout();
        Assert.Equal(new Vote(3, 5, 1, 1), round.Decision);
    }

    [Fact]
    public void A_higher_election_epoch_with_a_better_candidate_is_adopted()
    {
        var round = Started(myId: 1, voters: 3, zxid: 5);

        round.Receive(3, Looking(leader: 3, zxid: 5, clock: 2));

        Assert.Equal(new Vote(3, 5, 2, 1), round.Proposal);
        round.Timeout();
        Assert.Equal(new Vote(3, 5, 2, 1), round.Decision);
    }

    [Fact]
    public void A_looking_member_of_an_older_election_is_answered_but_not_counted()
    {
        var round = Round(myId: 1, voters: 3, clock: 3, lastZxid: 5, epoch: 1);
        round.Start();
        sent.Clear();

        round.Receive(3, Looking(leader: 3, zxid: 5, clock: 2));

        var answer = Assert.Single(sent);
        Assert.Equal(3, answer.To);
        AssertNotification(answer.Notification, leader: 1, zxid: 5, clock: 3, epoch: 1);
        Assert.Equal(1, round.Proposal.Leader);
    }

    [Fact]
    public void Notifications_from_or_for_members_that_are_not_voters_are_ignored()
    {
        var round = Started(myId: 1, voters: 3, zxid: 5);

        round.Receive(9, Looking(leader: 9, zxid: 5, clock: 1));
        round.Receive(2, Looking(leader: 9, zxid: 5, clock: 1));
        round.Receive(1, Looking(leader: 3, zxid: 5, clock: 1));

        Assert.Equal(1, round.Proposal.Leader);
        Assert.Empty(sent);
    }

    [Fact]
    public void Silence_sends_the_vote_again_with_an_interval_that_doubles_up_to_the_maximum()
    {
        var round = Started(myId: 1, voters: 3, zxid: 5);

        var waits = new List<TimeSpan>();
        for (var i = 0; i < 5; i++)
        {
            waits.Add(round.Wait);
            round.Timeout();
        }

        Assert.Equal([20, 40, 80, 100, 100], waits.Select(w => (int)w.TotalMilliseconds));
        Assert.Equal(10, sent.Count);
        Assert.All(sent, s => AssertNotification(s.Notification, leader: 1, zxid: 5, clock: 1, epoch: 1));
        Assert.Null(round.Decision);
    }

    [Fact]
    public void Joins_a_running_ensemble_once_a_quorum_reports_the_leader_and_the_leader_confirms()
    {
        // A restarted member: its clock starts over, the ensemble's election was number 7.
        var round = Started(myId: 3, voters: 3, zxid: 9);

        round.Receive(1, Established(PeerState.Following, leader: 2, zxid: 5, clock: 7));
        Assert.Null(round.Decision);
        round.Receive(2, Established(PeerState.Leading, leader: 2, zxid: 5, clock: 7));

        Assert.Equal(new Vote(2, 5, 7, 1), round.Decision);
        Assert.Equal(7, round.LogicalClock);
        Assert.Empty(sent);
    }

    [Fact]
    public void Followers_alone_do_not_make_a_leader_that_has_not_said_it_leads()
    {
        var round = Started(myId: 5, voters: 5, zxid: 5);

        round.Receive(1, Established(PeerState.Following, leader: 2, zxid: 5, clock: 7));
        round.Receive(3, Established(PeerState.Following, leader: 2, zxid: 5, clock: 7));
        round.Receive(4, Established(PeerState.Following, leader: 2, zxid: 6, clock: 6));
        Assert.Null(round.Decision);

        round.Receive(2, Established(PeerState.Leading, leader: 2, zxid: 5, clock: 7));
        Assert.Equal(2, round.Decision?.Leader);
    }

    [Fact]
    public void Followers_of_a_different_leader_epoch_do_not_count_together()
    {
        var round = Started(myId: 3, voters: 3, zxid: 5);

        round.Receive(1, Established(PeerState.Following, leader: 2, zxid: 5, clock: 7, epoch: 1));
        round.Receive(2, Established(PeerState.Leading, leader: 2, zxid: 5, clock: 8, epoch: 2));

        Assert.Null(round.Decision);
    }

    [Fact]
    public void Leads_when_followers_of_its_current_election_make_a_quorum_with_it()
    {
        var round = Started(myId: 3, voters: 5, zxid: 5);

        round.Receive(1, Established(PeerState.Following, leader: 3, zxid: 5, clock: 1));
        Assert.Null(round.Decision);
        round.Receive(2, Established(PeerState.Following, leader: 3, zxid: 5, clock: 1));

        Assert.Equal(3, round.Decision?.Leader);
    }

    [Fact]
    public void Does_not_lead_on_the_word_of_followers_from_another_election()
    {
        var round = Started(myId: 3, voters: 3, zxid: 5);

        round.Receive(1, Established(PeerState.Following, leader: 3, zxid: 5, clock: 6));
        round.Receive(2, Established(PeerState.Following, leader: 3, zxid: 5, clock: 6));

        Assert.Null(round.Decision);
    }

    [Fact]
    public void Ignores_everything_once_decided()
    {
        var round = Started(myId: 3, voters: 3, zxid: 5);
        round.Receive(1, Looking(leader: 3, zxid: 5, clock: 1));
        round.Timeout();

        round.Receive(2, Looking(leader: 2, zxid: 9, clock: 1));
        round.Timeout();

        Assert.Equal(new Vote(3, 5, 1, 1), round.Decision);
        Assert.Empty(sent);
    }

    private LookingRound Started(long myId, int voters, long zxid)
    {
        var round = Round(myId, voters, clock: 1, zxid, epoch: 1);
        round.Start();
        sent.Clear();
        return round;
    }

    private LookingRound Round(long myId, int voters, long clock, long lastZxid, long epoch) =>
        new(myId, Voters(voters), clock, lastZxid, epoch, Timings, (to, n) => sent.Add((to, n)));

    private static HashSet<long> Voters(int count) => [.. Enumerable.Range(1, count).Select(i => (long)i)];

    private static Notification Looking(long leader, long zxid, long clock, long epoch = 1) =>
        new Vote(leader, zxid, clock, epoch).ToNotification(PeerState.Looking);

    private static Notification Established(PeerState state, long leader, long zxid, long clock, long epoch = 1) =>
        new Vote(leader, zxid, clock, epoch).ToNotification(state);

    private static void AssertNotification(Notification notification, long leader, long zxid, long clock, long epoch)
    {
        Assert.Equal(leader, notification.Leader);
        Assert.Equal(zxid, notification.Zxid);
        Assert.Equal(clock, notification.ElectionEpoch);
        Assert.Equal(epoch, notification.PeerEpoch);
        Assert.Equal(PeerState.Looking, notification.State);
    }
}
