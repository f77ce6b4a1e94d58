using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Election;

/// <summary>
/// One LOOKING phase of a member, from its first notification to its decision, as a state machine without threads
/// or clocks: the driver feeds it notifications (<see cref="Receive"/>) and tells it when <see cref="Wait"/> elapsed
/// with nothing arriving (<see cref="Timeout"/>); it sends through the delegate it was given and sets
/// <see cref="Decision"/> once it has one.
/// </summary>
internal sealed class LookingRound
{
    private readonly long myId;
    private readonly IReadOnlySet<long> voters;
    private readonly ElectionTimings timings;
    private readonly Action<long, Notification> send;
    private readonly Vote ownVote;

    /// <summary>Votes cast in the current election epoch, ours included (ZooKeeper's recvset).</summary>
    private readonly Dictionary<long, Ballot> received = [];

    /// <summary>
    /// What members that are no longer looking report, whatever their election epoch (ZooKeeper's outofelection):
    /// how a member that arrives late, or restarts, learns the leader of a running ensemble.
    /// </summary>
    private readonly Dictionary<long, Ballot> outOfElection = [];

    private TimeSpan notificationInterval;

    /// <summary>Our proposal has a quorum; waiting for a better notification before settling on it.</summary>
    private bool finalizing;

    public LookingRound(
        long myId,
        IReadOnlySet<long> voters,
        long logicalClock,
        long lastZxid,
        long currentEpoch,
        ElectionTimings timings,
        Action<long, Notification> send)
    {
        this.myId = myId;
        this.voters = voters;
        this.timings = timings;
        this.send = send;
        ownVote = new Vote(myId, lastZxid, logicalClock, currentEpoch);
        notificationInterval = timings.FinalizeWait;
        Propose(ownVote);
    }

    /// <summary>Our current vote; its election epoch is our logical clock.</summary>
    public Vote Proposal { get; private set; }

    /// <summary>The elected vote, once decided; the round takes no further part after that.</summary>
    public Vote? Decision { get; private set; }

    public long LogicalClock => Decision?.ElectionEpoch ?? Proposal.ElectionEpoch;

    /// <summary>How long the driver waits for the next notification before calling <see cref="Timeout"/>.</summary>
    public TimeSpan Wait => finalizing ? timings.FinalizeWait : notificationInterval;

    /// <summary>Announces our vote for ourselves to every other voter.</summary>
    public void Start()
    {
        Broadcast();
        CheckQuorum();
    }

    /// <summary>Nothing arrived for <see cref="Wait"/>.</summary>
    public void Timeout()
    {
        if (Decision is not null)
        {
            return;
        }

        if (finalizing)
        {
            Decision = Proposal;
            return;
        }

        // Our notifications, or the answers to them, may have been lost: a member that was down, or a link that
        // failed, will only hear us if we ask again. Backing off keeps a lone member from flooding the others.
        Broadcast();
        notificationInterval = TimeSpan.FromTicks(Math.Min(notificationInterval.Ticks * 2, timings.MaxNotificationInterval.Ticks));
    }

    public void Receive(long from, Notification notification)
    {
        if (Decision is not null || from == myId || !voters.Contains(from) || !voters.Contains(notification.Leader))
        {
            return;
        }

        var vote = new Vote(notification.Leader, notification.Zxid, notification.ElectionEpoch, notification.PeerEpoch);
        if (notification.State == PeerState.Looking && vote.ElectionEpoch < LogicalClock)
        {
            // The sender is behind: tell it where the election is, or it would wait for its own timeout to learn it.
            send(from, Proposal.ToNotification(PeerState.Looking));
            return;
        }

        if (finalizing)
        {
            if (!vote.IsBetterThan(Proposal))
            {
                return;
            }

            finalizing = false;
        }

        if (notification.State == PeerState.Looking)
        {
            ReceiveLooking(from, vote);
        }
        else
        {
            ReceiveOutOfElection(from, vote, notification.State);
        }
    }

    private void ReceiveLooking(long from, Vote vote)
    {
        if (vote.ElectionEpoch > LogicalClock)
        {
            // A newer election: the votes of ours are stale, and so is a proposal adopted in it; start this one
            // from the better of the sender's candidate and ourselves.
            received.Clear();
            var own = ownVote with { ElectionEpoch = vote.ElectionEpoch };
            Propose(vote.IsBetterThan(own) ? vote : own);
            Broadcast();
        }
        else if (received.TryGetValue(from, out var newer) && newer.State == PeerState.Looking && newer.Vote.IsBetterThan(vote))
        {
            // Within an election a member only ever moves to better votes, so this one was overtaken in transit by a
            // later one (the transport may reorder); letting it overwrite the later vote could stall the quorum.
            return;
        }
        else if (vote.IsBetterThan(Proposal))
        {
            Propose(vote);
            Broadcast();
        }

        received[from] = new Ballot(vote, PeerState.Looking);
        CheckQuorum();
    }

    private void ReceiveOutOfElection(long from, Vote vote, PeerState state)
    {
        var ballot = new Ballot(vote, state);
        if (vote.ElectionEpoch == LogicalClock)
        {
            received[from] = ballot;
            if (HasQuorum(received, ballot) && IsLeaderConfirmed(received, vote))
            {
                Decision = vote;
                return;
            }
        }

        // Kept whatever the epoch, including the current one, so that a leader confirmed across epochs is still found.
        outOfElection[from] = ballot;
        if (HasQuorum(outOfElection, ballot) && IsLeaderConfirmed(outOfElection, vote))
        {
            Decision = vote;
        }
    }

    private void CheckQuorum() => finalizing = HasQuorum(received, new Ballot(Proposal, PeerState.Looking));

    /// <summary>
    /// A quorum agreeing on a leader is not enough to follow it: the leader itself must say it leads (followers may
    /// still name a leader that has since failed), unless the leader is us, which we only accept in our current
    /// election epoch.
    /// </summary>
    private bool IsLeaderConfirmed(Dictionary<long, Ballot> ballots, Vote vote) =>
        vote.Leader == myId
            ? vote.ElectionEpoch == LogicalClock
            : ballots.TryGetValue(vote.Leader, out var leader) && leader.State == PeerState.Leading;

    private bool HasQuorum(Dictionary<long, Ballot> ballots, Ballot ballot)
    {
        var agreeing = 0;
        foreach (var other in ballots.Values)
        {
            if (other.Agrees(ballot))
            {
                agreeing++;
            }
        }

        return agreeing > voters.Count / 2;
    }

    private void Propose(Vote vote)
    {
        Proposal = vote;
        received[myId] = new Ballot(vote, PeerState.Looking);
    }

    private void Broadcast()
    {
        var notification = Proposal.ToNotification(PeerState.Looking);
        foreach (var voter in voters)
        {
            if (voter != myId)
            {
                send(voter, notification);
            }
        }
    }

    private readonly record struct Ballot(Vote Vote, PeerState State)
    {
        /// <summary>
        /// Looking votes agree only when identical. Members that are out of election agree when they name the same
        /// leader in the same epoch: their zxids and election epochs differ with when each joined that leader, and an
        /// epoch is only ever led by one member.
        /// </summary>
        public bool Agrees(Ballot other) =>
            State == PeerState.Looking || other.State == PeerState.Looking
                ? Vote == other.Vote
                : Vote.Leader == other.Vote.Leader && Vote.PeerEpoch == other.Vote.PeerEpoch;
    }
}
