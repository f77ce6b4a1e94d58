using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Quorum.Election;

/// <summary>
/// ZooKeeper's fast leader election over the election part of <see cref="IQuorumTransport"/>. <see cref="RunAsync"/>
/// reads every notification this member receives for its whole life; <see cref="LookForLeaderAsync"/> runs one
/// <see cref="LookingRound"/> on them. Notifications and timeouts are handled under one lock, so the state a LOOKING
/// peer is answered with is always the one in force.
/// </summary>
internal sealed partial class FastLeaderElection
{
    private readonly long myId;
    private readonly HashSet<long> voters;
    private readonly IQuorumTransport transport;
    private readonly ElectionTimings timings;
    private readonly TimeProvider time;
    private readonly ILogger<FastLeaderElection> logger;
    private readonly Lock gate = new();

    private PeerState state = PeerState.Looking;
    private Vote currentVote;
    private long logicalClock;
    private Lookup? lookup;

    public FastLeaderElection(
        long myId,
        IReadOnlyCollection<long> voters,
        IQuorumTransport transport,
        ElectionTimings timings,
        TimeProvider time,
        ILogger<FastLeaderElection> logger)
    {
        this.voters = [.. voters];
        if (!this.voters.Contains(myId))
        {
            throw new ArgumentException($"Member {myId} is not one of the voters.", nameof(voters));
        }

        this.myId = myId;
        this.transport = transport;
        this.timings = timings;
        this.time = time;
        this.logger = logger;
    }

    public PeerState State
    {
        get
        {
            lock (gate)
            {
                return state;
            }
        }
    }

    /// <summary>The elected vote, or while looking the vote this member currently casts.</summary>
    public Vote CurrentVote
    {
        get
        {
            lock (gate)
            {
                return lookup?.Round.Proposal ?? currentVote;
            }
        }
    }

    /// <summary>
    /// Owns <see cref="IQuorumTransport.ElectionInbox"/> until cancelled: while looking, feeds notifications to the
    /// running <see cref="LookForLeaderAsync"/>; while leading or following, answers every looking sender with this
    /// member's vote and state, so that a member that restarts learns the leader at once.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var envelope in transport.ElectionInbox.ReadAllAsync(cancellationToken))
            {
                Dispatch(envelope);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// Becomes LOOKING, advances the logical clock, votes for itself with (<paramref name="lastZxid"/>,
    /// <paramref name="currentEpoch"/>) and returns the elected vote. By then <see cref="State"/> is already LEADING
    /// or FOLLOWING.
    /// </summary>
    public async Task<Vote> LookForLeaderAsync(long lastZxid, long currentEpoch, CancellationToken cancellationToken)
    {
        Lookup started;
        lock (gate)
        {
            if (lookup is not null)
            {
                throw new InvalidOperationException("An election is already running.");
            }

            var round = new LookingRound(myId, voters, logicalClock + 1, lastZxid, currentEpoch, timings, transport.SendElection);
            started = new Lookup(round, time.GetTimestamp());
            lookup = started;
            state = PeerState.Looking;
            LogStarted(logger, myId, round.LogicalClock, lastZxid, currentEpoch);
            round.Start();
            Step(started);
        }

        try
        {
            return await started.Decided.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            lock (gate)
            {
                if (lookup == started)
                {
                    logicalClock = started.Round.LogicalClock;
                    started.Timer?.Dispose();
                    lookup = null;
                }
            }

            throw;
        }
    }

    private void Dispatch(ElectionEnvelope envelope)
    {
        lock (gate)
        {
            if (lookup is { } running)
            {
                running.Round.Receive(envelope.From, envelope.Notification);
                Step(running);
            }
            else if (state != PeerState.Looking && envelope.Notification.State == PeerState.Looking
                && voters.Contains(envelope.From))
            {
                transport.SendElection(envelope.From, currentVote.ToNotification(state));
            }
        }
    }

    /// <summary>After the round handled something: settles its decision, or waits for what comes next.</summary>
    private void Step(Lookup running)
    {
        if (running.Round.Decision is { } decision)
        {
            running.Timer?.Dispose();
            lookup = null;
            logicalClock = decision.ElectionEpoch;
            currentVote = decision;
            state = decision.Leader == myId ? PeerState.Leading : PeerState.Following;
            var elapsedMs = (long)time.GetElapsedTime(running.Started).TotalMilliseconds;
            LogElected(logger, decision.Leader, decision.ElectionEpoch, elapsedMs, state, decision.PeerEpoch, decision.Zxid);
            running.Decided.TrySetResult(decision);
            return;
        }

        // Every notification restarts the wait, as in ZooKeeper: a timeout means nothing arrived for that long. A
        // timer that fires after being replaced finds its generation stale and does nothing.
        running.Timer?.Dispose();
        var generation = ++running.Generation;
        running.Timer = time.CreateTimer(
            static s => ((TimerArm)s!).Owner.OnTimeout((TimerArm)s!),
            new TimerArm(this, running, generation),
            running.Round.Wait,
            Timeout.InfiniteTimeSpan);
    }

    private void OnTimeout(TimerArm arm)
    {
        lock (gate)
        {
            if (lookup != arm.Lookup || arm.Lookup.Generation != arm.Generation)
            {
                return;
            }

            var round = arm.Lookup.Round;
            var waitedMs = (long)round.Wait.TotalMilliseconds;
            round.Timeout();
            if (round.Decision is null)
            {
                LogResent(logger, waitedMs);
            }

            Step(arm.Lookup);
        }
    }

    private sealed class Lookup(LookingRound round, long started)
    {
        public LookingRound Round { get; } = round;

        public long Started { get; } = started;

        public TaskCompletionSource<Vote> Decided { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ITimer? Timer { get; set; }

        public long Generation { get; set; }
    }

    private sealed record TimerArm(FastLeaderElection Owner, Lookup Lookup, long Generation);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "New election: member {MyId} in election epoch {ElectionEpoch} votes for itself (zxid 0x{LastZxid:x}, epoch {CurrentEpoch})")]
    private static partial void LogStarted(ILogger logger, long myId, long electionEpoch, long lastZxid, long currentEpoch);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Elected leader {Leader} in epoch {ElectionEpoch} after {ElapsedMs} ms; now {State} (leader's epoch {PeerEpoch}, zxid 0x{Zxid:x})")]
    private static partial void LogElected(
        ILogger logger, long leader, long electionEpoch, long elapsedMs, PeerState state, long peerEpoch, long zxid);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No election notification for {WaitMs} ms; vote sent again")]
    private static partial void LogResent(ILogger logger, long waitMs);
}
