using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Network;
using ZkFire.ZooKeeper.Server.Processing;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

/// <summary>
/// One period of following a leader (ZAB phases 1-3 on the learner's side): take the leader's epoch (durably), bring
/// the log in line with the leader's history (DIFF, TRUNC or SNAP), acknowledge it, then serve clients from the local
/// replica: log and acknowledge proposals, apply commits, forward writes. Following ends when the leader is silent
/// for syncLimit ticks or the link breaks; then the member elects again.
/// </summary>
internal sealed partial class Follower : IServingRole, ILeaderLink
{
    private readonly MemberState member;
    private readonly EpochStore epochs;
    private readonly IQuorumTransport transport;
    private readonly Action<Replica?> open;
    private readonly ILogger logger;
    private readonly Channel<QuorumMessage> outgoing = Channel.CreateUnbounded<QuorumMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Queue<(long Zxid, byte[] Txn)> uncommitted = new();

    public Follower(ZabContext context, CarriedState? carried, ILogger logger)
    {
        Carried = carried;
        (member, epochs, transport, open) = context;
        this.logger = logger;
    }

    public string Mode => "follower";

    /// <summary>
    /// The in-memory state this member takes into its next period: the one it brought (dropped when the sync removes
    /// something it applied), then this period's.
    /// </summary>
    public CarriedState? Carried { get; private set; }

    public IEnumerable<(string Key, object Value)> MonitorLines() => [];

    public void Forward(long sessionId, int xid, OpCode type, byte[] body, IReadOnlyList<Id> authIds)
    {
        var request = new Request { SessionId = sessionId, Xid = xid, Type = (int)type, Body = ByteString.CopyFrom(body) };
        request.Auth.AddRange(authIds.Select(id => new AuthId { Scheme = id.Scheme, Id = id.Identity }));
        outgoing.Writer.TryWrite(new QuorumMessage { Request = request });
    }

    public void Revalidate(long sessionId, int timeout) =>
        outgoing.Writer.TryWrite(new QuorumMessage { Revalidate = new Revalidate { SessionId = sessionId, Timeout = timeout } });

    public async Task FollowAsync(long leaderId, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = cts.Token;
        await using var link = await ConnectAsync(leaderId, token);
        var synced = await SyncAsync(link, token);

        var current = new Replica(
            member,
            token,
            onFlushed: zxid => outgoing.Writer.TryWrite(new QuorumMessage { Ack = new Ack { Zxid = zxid } }),
            follower: true,
            carried: Carried);
        try
        {
            current.Sessions.RecordTouches();
            current.Processor.Leader = this;
            current.Start();
            current.Serve(this, member.Connections, member.DataDir, member.LogDir);
            open(current);
            LogFollowing(logger, leaderId, epochs.Current, synced);
            var sending = SendLoopAsync(link, token);
            try
            {
                await ReceiveLoopAsync(link, current, token);
            }
            finally
            {
                await cts.CancelAsync();
                await sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        finally
        {
            open(null);
            await cts.CancelAsync();
            await current.DisposeAsync();
            Carried = current.Carry();
            // What was proposed and logged stays in the log (uncommitted, as in ZooKeeper); the next leader decides.
            await member.Log.FlushAsync(CancellationToken.None);
        }
    }

    /// <summary>Connects to the leader, retrying for initLimit ticks: the leader may still be setting up.</summary>
    private async Task<IPeerLink> ConnectAsync(long leaderId, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + (long)member.Options.InitTimeout.TotalMilliseconds;
        while (true)
        {
            try
            {
                return await transport.ConnectAsync(leaderId, cancellationToken);
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(member.Options.TickTime / 2, 10, 1000)), member.Time, cancellationToken);
            }
        }
    }

    /// <summary>Phases 1 and 2: returns the zxid through which this member now has the leader's history.</summary>
    private async Task<long> SyncAsync(IPeerLink link, CancellationToken cancellationToken)
    {
        var log = member.Log;
        var (lastZxid, epochEnds) = History();
        var info = new LearnerInfo { AcceptedEpoch = epochs.Accepted, LastZxid = lastZxid };
        info.EpochEnds.AddRange(epochEnds);
        await link.SendAsync(new QuorumMessage { LearnerInfo = info }, cancellationToken);

        var epoch = (await link.ReceiveWithinAsync(member.Options.InitTimeout, cancellationToken)).LeaderInfo?.NewEpoch
                    ?? throw new QuorumProtocolException("The leader did not propose an epoch.");
        if (epoch < epochs.Accepted)
        {
            throw new QuorumProtocolException($"The leader proposes epoch {epoch}, older than the accepted {epochs.Accepted}.");
        }

        if (epoch > epochs.Accepted)
        {
            epochs.SetAccepted(epoch);
        }

        await link.SendAsync(new QuorumMessage { AckEpoch = new AckEpoch { CurrentEpoch = epochs.Current, LastZxid = lastZxid } }, cancellationToken);

        var message = await link.ReceiveWithinAsync(member.Options.InitTimeout, cancellationToken);
        switch (message.BodyCase)
        {
            case QuorumMessage.BodyOneofCase.Diff:
                LogSync(logger, "DIFF", message.Diff.LastZxid);
                message = await link.ReceiveWithinAsync(member.Options.InitTimeout, cancellationToken);
                break;
            case QuorumMessage.BodyOneofCase.Trunc:
                LogSync(logger, "TRUNC", message.Trunc.Zxid);
                await TruncateAsync(message.Trunc.Zxid, cancellationToken);
                message = await link.ReceiveWithinAsync(member.Options.InitTimeout, cancellationToken);
                break;
            case QuorumMessage.BodyOneofCase.SnapChunk:
                LogSync(logger, "SNAP", message.SnapChunk.Zxid);
                message = await ReceiveSnapshotAsync(link, message.SnapChunk, cancellationToken);
                break;
            default:
                throw new QuorumProtocolException($"The leader sent {message.BodyCase} where the sync should start.");
        }

        while (message.BodyCase == QuorumMessage.BodyOneofCase.Proposal)
        {
            var proposal = message.Proposal;
            if (proposal.Zxid > log.LastZxid)
            {
                log.Append(proposal.Zxid, proposal.Txn.Span);
            }

            message = await link.ReceiveWithinAsync(member.Options.InitTimeout, cancellationToken);
        }

        var newLeader = message.NewLeader ?? throw new QuorumProtocolException($"The leader sent {message.BodyCase} where the sync should end.");
        await log.FlushAsync(cancellationToken);
        await member.Secret.AdoptAsync(newLeader.SessionSecret.ToByteArray(), cancellationToken);
        epochs.SetCurrent(epoch);
        await link.SendAsync(new QuorumMessage { Ack = new Ack { Zxid = newLeader.Zxid } }, cancellationToken);

        var upToDate = await link.ReceiveWithinAsync(member.Options.InitTimeout, cancellationToken);
        return upToDate.BodyCase == QuorumMessage.BodyOneofCase.UpToDate
            ? newLeader.Zxid
            : throw new QuorumProtocolException($"The leader sent {upToDate.BodyCase} instead of confirming the sync.");
    }

    /// <summary>
    /// The last zxid this member has (its log's, or its newest snapshot's when the log holds nothing newer) and the
    /// last zxid of each epoch in its log, from which the leader finds where the two histories part.
    /// </summary>
    private (long Last, List<long> EpochEnds) History() =>
        (Math.Max(member.Log.LastZxid, member.Snapshots.LatestZxid()), member.Log.EpochEndZxids());

    /// <summary>
    /// Drops the proposals after <paramref name="zxid"/> that the leader never had, and snapshots that could hold them.
    /// If what remains cannot be recovered to <paramref name="zxid"/> (no snapshot at or below it with the log after
    /// it), the member starts over empty and the next sync brings a snapshot.
    /// </summary>
    private async Task TruncateAsync(long zxid, CancellationToken cancellationToken)
    {
        var log = member.Log;
        if (Carried is not null && Carried.Tree.LastProcessedZxid > zxid)
        {
            Carried = null;
        }

        await log.FlushAsync(cancellationToken);
        log.TruncateAfter(zxid);
        member.Snapshots.Delete(snapshot => snapshot > zxid);
        var baseZxid = member.Snapshots.LatestZxid();
        var covered = baseZxid == zxid || log.LastZxid == zxid;
        if (!covered)
        {
            LogCannotTruncate(logger, zxid, baseZxid);
            Carried = null;
            log.TruncateAfter(0);
            member.Snapshots.Delete(_ => true);
            throw new QuorumProtocolException($"The log cannot be truncated to 0x{zxid:x}; starting over from the leader's snapshot.");
        }
    }

    /// <summary>The leader's whole state: it replaces this member's history (log and older snapshots).</summary>
    private async Task<QuorumMessage> ReceiveSnapshotAsync(IPeerLink link, SnapChunk first, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream();
        var chunk = first;
        while (true)
        {
            if (chunk.Zxid != first.Zxid)
            {
                throw new QuorumProtocolException("Snapshot pieces of different zxids.");
            }

            chunk.Data.WriteTo(content);
            if (chunk.Last)
            {
                break;
            }

            chunk = (await link.ReceiveWithinAsync(member.Options.InitTimeout, cancellationToken)).SnapChunk
                    ?? throw new QuorumProtocolException("The snapshot ended early.");
        }

        // Check it before anything on disk changes: a snapshot that does not load must not replace a history.
        content.Position = 0;
        _ = Maintenance.SnapshotContent.Read(content);
        Carried = null;
        var zxid = first.Zxid;
        var log = member.Log;
        await log.FlushAsync(cancellationToken);
        log.TruncateAfter(0);
        await member.Snapshots.WriteAsync(zxid, (stream, token) =>
        {
            content.Position = 0;
            return content.CopyToAsync(stream, token);
        }, cancellationToken);
        member.Snapshots.Delete(snapshot => snapshot != zxid);
        return await link.ReceiveWithinAsync(member.Options.InitTimeout, cancellationToken);
    }

    private async Task SendLoopAsync(IPeerLink link, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in outgoing.Reader.ReadAllAsync(cancellationToken))
            {
                await link.SendAsync(message, cancellationToken);
            }
        }
        catch (IOException ex)
        {
            LogLinkFailed(logger, ex.Message);
        }
    }

    private async Task ReceiveLoopAsync(IPeerLink link, Replica current, CancellationToken cancellationToken)
    {
        var log = member.Log;
        var processor = current.Processor;
        while (true)
        {
            var message = await link.ReceiveWithinAsync(member.Options.SyncTimeout, cancellationToken);
            switch (message.BodyCase)
            {
                case QuorumMessage.BodyOneofCase.Proposal:
                    var proposal = message.Proposal;
                    var txn = proposal.Txn.ToByteArray();
                    log.Append(proposal.Zxid, txn);
                    current.Flusher.Appended();
                    uncommitted.Enqueue((proposal.Zxid, txn));
                    break;
                case QuorumMessage.BodyOneofCase.Commit:
                    while (uncommitted.TryPeek(out var next) && next.Zxid <= message.Commit.Zxid)
                    {
                        uncommitted.Dequeue();
                        var (header, record) = TxnCodec.Deserialize(next.Txn);
                        await processor.EnqueueAsync(new CommittedWork(header, record), cancellationToken);
                    }

                    break;
                case QuorumMessage.BodyOneofCase.Ping:
                    var reply = new Ping();
                    reply.Touches.AddRange(current.Sessions.DrainTouched().Select(t => new SessionTouch { SessionId = t.SessionId, Timeout = t.Timeout }));
                    outgoing.Writer.TryWrite(new QuorumMessage { Ping = reply });
                    break;
                case QuorumMessage.BodyOneofCase.RevalidateReply:
                    await processor.EnqueueAsync(new RevalidatedWork(message.RevalidateReply.SessionId, message.RevalidateReply.Valid), cancellationToken);
                    break;
                case QuorumMessage.BodyOneofCase.Synced:
                    await processor.EnqueueAsync(new SyncedWork(message.Synced.SessionId, message.Synced.Xid), cancellationToken);
                    break;
                default:
                    throw new QuorumProtocolException($"The leader sent an unexpected {message.BodyCase} during broadcast.");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Following member {Leader} in epoch {Epoch}, synced through 0x{Zxid:x}; serving clients")]
    private static partial void LogFollowing(ILogger logger, long leader, long epoch, long zxid);

    [LoggerMessage(Level = LogLevel.Information, Message = "Syncing with the leader by {Kind} at 0x{Zxid:x}")]
    private static partial void LogSync(ILogger logger, string kind, long zxid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot recover the state at 0x{Zxid:x} from the snapshot at 0x{Snapshot:x} and the log; discarding both for a snapshot from the leader")]
    private static partial void LogCannotTruncate(ILogger logger, long zxid, long snapshot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The link to the leader failed: {Reason}")]
    private static partial void LogLinkFailed(ILogger logger, string reason);
}
