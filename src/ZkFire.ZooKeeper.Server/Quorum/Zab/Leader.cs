using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Network;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

/// <summary>
/// One leadership (ZAB phases 1-3 on the leader's side): the epoch agreed with a quorum of learners and made
/// durable, every learner synced to the leader's history, that history committed once a quorum has it, then
/// broadcast: each transaction the request thread logs is proposed to every synced learner and committed when a
/// quorum has acknowledged it. The leadership ends (and the member looks for a leader again) when a quorum of
/// learners is not heard from within syncLimit, or when a learner turns out to be ahead of it.
/// </summary>
internal sealed partial class Leader : IServingRole
{
    private readonly MemberState member;
    private readonly EpochStore epochs;
    private readonly IQuorumTransport transport;
    private readonly Action<Replica?> open;
    private readonly ILogger logger;
    private readonly long myId;
    private readonly int quorumSize;
    private readonly Lock gate = new();
    private readonly Dictionary<long, long> epochProposals = [];
    private readonly HashSet<long> epochAcks = [];
    private readonly HashSet<long> syncAcks = [];
    private readonly TaskCompletionSource<long> epochDecided = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource epochAcked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource historyAcked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<LearnerHandler> learners = [];
    private readonly long started = Environment.TickCount64;
    private CancellationTokenSource? leading;
    private LearnerHandler[] forwarding = [];
    private AckTracker? acks;
    private Replica? replica;
    private long lastProposalSize = -1;
    private long minProposalSize = -1;
    private long maxProposalSize = -1;

    public Leader(ZabContext context, CarriedState? carried, ILogger logger)
    {
        Carried = carried;
        (member, epochs, transport, open) = context;
        this.logger = logger;
        myId = member.Options.ServerId;
        quorumSize = (member.Options.Servers.Count / 2) + 1;
    }

    public string Mode => "leader";

    /// <summary>The in-memory state this member takes into its next period (the one it brought, until this one ends).</summary>
    public CarriedState? Carried { get; private set; }

    public Replica Replica => replica ?? throw new InvalidOperationException("Not leading.");

    public ZooKeeperServerOptions Options => member.Options;

    public TimeProvider Time => member.Time;

    public byte[] SessionSecret => member.Secret.Value;

    /// <summary>Completes once a quorum has the leader's history and the new epoch is this member's current one.</summary>
    public Task Established => established.Task;

    public async Task LeadAsync(CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        leading = cts;
        var token = cts.Token;
        var tracker = new AckTracker(quorumSize, Commit);
        acks = tracker;
        var current = new Replica(member, token, onFlushed: zxid => tracker.Ack(myId, zxid), carried: Carried);
        replica = current;
        List<Task> handlers = [];
        try
        {
            current.Processor.Proposed = Propose;
            current.Start();
            lock (handlers)
            {
                handlers.Add(AcceptAsync(handlers, token));
            }

            // Phase 1: the new epoch, above every epoch a quorum has accepted.
            var epoch = await ProposeEpochAsync(myId, epochs.Accepted).WaitAsync(Options.InitTimeout, token);
            await AckEpochAsync(myId, epochs.Current, member.Log.LastZxid).WaitAsync(Options.InitTimeout, token);

            // Phase 2: the learners sync (in their handlers); the history is ours through the last logged zxid.
            await current.Flusher.WhenFlushed(member.Log.LastZxid).WaitAsync(token);
            HistoryAcknowledged(myId, member.Log.FlushedZxid);
            await historyAcked.Task.WaitAsync(Options.InitTimeout, token);
            epochs.SetCurrent(epoch);
            await current.Processor.InspectAsync(() =>
            {
                current.Processor.StartEpoch(epoch);
                return true;
            }, token);
            established.TrySetResult();
            LogEstablished(logger, epoch, Environment.TickCount64 - started);

            // Phase 3: serve and broadcast, as long as a quorum keeps up.
            current.StartOwnerDuties();
            current.Serve(this, member.Connections, member.DataDir, member.LogDir);
            open(current);
            await WatchQuorumAsync(token);
        }
        catch (TimeoutException)
        {
            LogNoQuorum(logger, Options.InitTimeout.TotalMilliseconds);
            throw;
        }
        finally
        {
            open(null);
            await cts.CancelAsync();
            Task[] running;
            lock (handlers)
            {
                running = [.. handlers];
            }

            await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await current.DisposeAsync();
            // Everything the tree applied is in the log (logged before applied), uncommitted proposals included;
            // whoever leads next truncates those if it never had them, and then this state is dropped. The log is
            // flushed so that the next election's vote and sync see one history, on disk.
            Carried = current.Carry();
            await member.Log.FlushAsync(CancellationToken.None);
            leading = null;
        }
    }

    /// <summary>A learner's acceptedEpoch (or the leader's own); the epoch is decided once a quorum has proposed.</summary>
    public Task<long> ProposeEpochAsync(long member, long acceptedEpoch)
    {
        lock (gate)
        {
            if (!epochDecided.Task.IsCompleted)
            {
                epochProposals[member] = acceptedEpoch;
                if (epochProposals.Count >= quorumSize && epochProposals.ContainsKey(myId))
                {
                    var epoch = epochProposals.Values.Max() + 1;
                    // Durable before any learner hears of it: this member will never lead or follow an older epoch.
                    epochs.SetAccepted(epoch);
                    epochDecided.SetResult(epoch);
                }
            }

            return epochDecided.Task;
        }
    }

    /// <summary>
    /// A learner (or the leader itself) took the epoch and says where its history ends; once a quorum has, the sync
    /// begins. A learner whose history is newer than the leader's means this election was wrong: the leader steps down.
    /// </summary>
    public Task AckEpochAsync(long member, long currentEpoch, long lastZxid)
    {
        if (member != myId && (currentEpoch > epochs.Current || (currentEpoch == epochs.Current && lastZxid > this.member.Log.LastZxid)))
        {
            LogLearnerAhead(logger, member, currentEpoch, lastZxid);
            leading?.Cancel();
            throw new QuorumProtocolException($"Member {member} is ahead of the leader; electing again.");
        }

        lock (gate)
        {
            epochAcks.Add(member);
            if (epochAcks.Count >= quorumSize && epochAcks.Contains(myId))
            {
                epochAcked.TrySetResult();
            }
        }

        return epochAcked.Task;
    }

    /// <summary>
    /// Member <paramref name="member"/> (a learner at the end of its sync, or the leader itself) has the leader's
    /// history through <paramref name="zxid"/> durably; the epoch is established once a quorum has.
    /// </summary>
    public void HistoryAcknowledged(long member, long zxid)
    {
        lock (gate)
        {
            if (syncAcks.Add(member) && syncAcks.Count >= quorumSize && syncAcks.Contains(myId))
            {
                historyAcked.TrySetResult();
            }
        }

        Acknowledged(member, zxid);
    }

    /// <summary>A broadcast acknowledgement: member <paramref name="member"/> has everything through <paramref name="zxid"/> durably.</summary>
    public void Acknowledged(long member, long zxid) => acks?.Ack(member, zxid);

    /// <summary>From now on the learner gets every proposal and commit (request thread, at the learner's sync point).</summary>
    public void Forward(LearnerHandler learner)
    {
        lock (gate)
        {
            forwarding = [.. forwarding, learner];
        }
    }

    public void Remove(LearnerHandler learner)
    {
        lock (gate)
        {
            forwarding = [.. forwarding.Where(l => l != learner)];
            learners.Remove(learner);
        }

        acks?.Remove(learner.PeerId);
    }

    public IEnumerable<(string Key, object Value)> MonitorLines()
    {
        LearnerHandler[] all;
        lock (gate)
        {
            all = [.. learners];
        }

        var synced = all.Count(l => l.IsSynced);
        yield return ("learners", all.Length);
        yield return ("followers", all.Length);
        yield return ("synced_followers", synced);
        yield return ("synced_non_voting_followers", 0);
        yield return ("synced_observers", 0);
        yield return ("pending_syncs", 0);
        yield return ("leader_uptime", Environment.TickCount64 - started);
        yield return ("last_proposal_size", Interlocked.Read(ref lastProposalSize));
        yield return ("max_proposal_size", Interlocked.Read(ref maxProposalSize));
        yield return ("min_proposal_size", Interlocked.Read(ref minProposalSize));
    }

    private async Task AcceptAsync(List<Task> handlers, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var link in transport.AcceptedLearners.ReadAllAsync(cancellationToken))
            {
                var handler = new LearnerHandler(this, link, logger);
                lock (gate)
                {
                    learners.Add(handler);
                }

                lock (handlers)
                {
                    handlers.Add(handler.RunAsync(cancellationToken));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Request thread: the transaction just logged goes to every learner that is synced or syncing.</summary>
    private void Propose(long zxid, byte[] txn)
    {
        var size = txn.Length;
        Interlocked.Exchange(ref lastProposalSize, size);
        if (minProposalSize < 0 || size < minProposalSize)
        {
            Interlocked.Exchange(ref minProposalSize, size);
        }

        if (size > maxProposalSize)
        {
            Interlocked.Exchange(ref maxProposalSize, size);
        }

        var message = new QuorumMessage { Proposal = new Proposal { Zxid = zxid, Txn = ByteString.CopyFrom(txn) } };
        foreach (var learner in Volatile.Read(ref forwarding))
        {
            learner.Queue(message);
        }
    }

    /// <summary>A quorum has everything through <paramref name="zxid"/>: learners hear of it first, then clients.</summary>
    private void Commit(long zxid)
    {
        var message = new QuorumMessage { Commit = new Commit { Zxid = zxid } };
        foreach (var learner in Volatile.Read(ref forwarding))
        {
            learner.Queue(message);
        }

        replica?.Gate.CommitThrough(zxid);
    }

    /// <summary>
    /// Pings the learners every half tick and steps down when fewer than a quorum (counting itself) have been heard
    /// from within syncLimit ticks, as ZooKeeper's leader does.
    /// </summary>
    private async Task WatchQuorumAsync(CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(1, member.Options.TickTime / 2));
        var ping = new QuorumMessage { Ping = new Ping() };
        while (true)
        {
            await Task.Delay(interval, member.Time, cancellationToken);
            LearnerHandler[] synced;
            lock (gate)
            {
                synced = [.. learners.Where(l => l.IsSynced)];
            }

            foreach (var learner in synced)
            {
                learner.Queue(ping);
            }

            var now = Environment.TickCount64;
            var alive = 1 + synced.Count(l => now - l.LastHeard <= Options.SyncTimeout.TotalMilliseconds);
            if (alive < quorumSize)
            {
                LogQuorumLost(logger, alive, quorumSize);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Leading epoch {Epoch}: a quorum has the history, serving clients ({Milliseconds} ms after the election)")]
    private static partial void LogEstablished(ILogger logger, long epoch, long milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No quorum of followers joined within {Milliseconds} ms; electing again")]
    private static partial void LogNoQuorum(ILogger logger, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Only {Alive} of the {Quorum} members a quorum needs are in touch; stepping down")]
    private static partial void LogQuorumLost(ILogger logger, int alive, int quorum);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {Member} is ahead of this leader (epoch {Epoch}, zxid 0x{Zxid:x}); stepping down")]
    private static partial void LogLearnerAhead(ILogger logger, long member, long epoch, long zxid);
}
