using System.Buffers.Binary;
using System.Threading.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Maintenance;
using ZkFire.ZooKeeper.Server.Processing;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

/// <summary>
/// The leader's side of one learner's link: epoch agreement, the sync that brings the learner's history in line
/// (DIFF, TRUNC or SNAP), then broadcast (proposals and commits out, acknowledgements, forwarded requests, session
/// touches and revalidations in). Outgoing broadcast traffic goes through one queue, so the learner sees proposals,
/// commits and replies in the order the leader produced them.
/// </summary>
internal sealed partial class LearnerHandler(Leader leader, IPeerLink link, ILogger logger)
{
    private const int SnapshotChunk = 512 * 1024;

    private readonly Channel<QuorumMessage> outgoing = Channel.CreateUnbounded<QuorumMessage>(new UnboundedChannelOptions { SingleReader = true });
    private long lastHeard = Environment.TickCount64;

    public long PeerId => link.PeerId;

    /// <summary>Synced and taking part in broadcast.</summary>
    public bool IsSynced { get; private set; }

    /// <summary>When the learner last said anything (milliseconds, Environment.TickCount64).</summary>
    public long LastHeard => Interlocked.Read(ref lastHeard);

    /// <summary>Queues a broadcast message; it goes out after the sync, in order. Never blocks.</summary>
    public void Queue(QuorumMessage message) => outgoing.Writer.TryWrite(message);

    public void Synced(long sessionId, int xid) => Queue(new QuorumMessage { Synced = new Synced { SessionId = sessionId, Xid = xid } });

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using (link)
            {
                var synced = await SyncAsync(cancellationToken);
                IsSynced = true;
                LogSynced(logger, PeerId, synced);
                var sending = SendLoopAsync(cancellationToken);
                try
                {
                    await ReceiveLoopAsync(cancellationToken);
                }
                finally
                {
                    outgoing.Writer.TryComplete();
                    await sending.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or QuorumProtocolException or TimeoutException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogLearnerGone(logger, PeerId, ex.Message);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            outgoing.Writer.TryComplete();
            leader.Remove(this);
        }
    }

    /// <summary>Discovery and synchronisation; returns the zxid through which the learner now has the leader's history.</summary>
    private async Task<long> SyncAsync(CancellationToken cancellationToken)
    {
        var initLimit = leader.Options.InitTimeout;
        var info = (await ReceiveAsync(initLimit, cancellationToken)).LearnerInfo
                   ?? throw new QuorumProtocolException($"Member {PeerId} did not start with its learner info.");
        var epoch = await leader.ProposeEpochAsync(PeerId, info.AcceptedEpoch).WaitAsync(initLimit, cancellationToken);
        await link.SendAsync(new QuorumMessage { LeaderInfo = new LeaderInfo { NewEpoch = epoch } }, cancellationToken);
        var ackEpoch = (await ReceiveAsync(initLimit, cancellationToken)).AckEpoch
                       ?? throw new QuorumProtocolException($"Member {PeerId} did not acknowledge epoch {epoch}.");
        await leader.AckEpochAsync(PeerId, ackEpoch.CurrentEpoch, ackEpoch.LastZxid).WaitAsync(initLimit, cancellationToken);

        var replica = leader.Replica;
        var log = replica.Log;
        await replica.Flusher.WhenFlushed(log.LastZxid).WaitAsync(cancellationToken);
        var plan = SyncPlan.Decide(log.LastZxidAtOrBelow, log.FlushedZxid, info.LastZxid, info.EpochEnds);

        // At one point of the request thread: from here on every proposal reaches this learner's queue, and the
        // state sent (the log up to here, or the tree as it is here) ends exactly where the queue begins.
        var (through, snapshot) = await replica.Processor.InspectAsync(() =>
        {
            leader.Forward(this);
            var zxid = log.LastZxid;
            if (plan.Kind != SyncKind.Snap)
            {
                return (zxid, (byte[]?)null);
            }

            using var content = new MemoryStream();
            SnapshotContent.Write(content, replica.Sessions.Snapshot(), replica.Tree);
            return (zxid, content.ToArray());
        }, cancellationToken);

        LogSyncing(logger, PeerId, plan.Kind, info.LastZxid, plan.From, through);
        if (snapshot is null)
        {
            var start = plan.Kind == SyncKind.Diff
                ? new QuorumMessage { Diff = new Diff { LastZxid = plan.From } }
                : new QuorumMessage { Trunc = new Trunc { Zxid = plan.From } };
            await link.SendAsync(start, cancellationToken);
            await replica.Flusher.WhenFlushed(through).WaitAsync(cancellationToken);
            foreach (var entry in log.ReadAfter(plan.From).TakeWhile(entry => entry.Zxid <= through))
            {
                await link.SendAsync(new QuorumMessage { Proposal = new Proposal { Zxid = entry.Zxid, Txn = ByteString.CopyFrom(entry.Txn) } }, cancellationToken);
            }
        }
        else
        {
            for (var offset = 0; ; offset += SnapshotChunk)
            {
                var length = Math.Min(SnapshotChunk, snapshot.Length - offset);
                var last = offset + length >= snapshot.Length;
                await link.SendAsync(new QuorumMessage
                {
                    SnapChunk = new SnapChunk { Zxid = through, Data = ByteString.CopyFrom(snapshot, offset, length), Last = last },
                }, cancellationToken);
                if (last)
                {
                    break;
                }
            }
        }

        await link.SendAsync(new QuorumMessage
        {
            NewLeader = new NewLeader { Zxid = through, SessionSecret = ByteString.CopyFrom(leader.SessionSecret) },
        }, cancellationToken);
        var ack = (await ReceiveAsync(initLimit, cancellationToken)).Ack
                  ?? throw new QuorumProtocolException($"Member {PeerId} did not acknowledge the sync.");
        if (ack.Zxid != through)
        {
            throw new QuorumProtocolException($"Member {PeerId} acknowledged the sync at 0x{ack.Zxid:x}, expected 0x{through:x}.");
        }

        leader.HistoryAcknowledged(PeerId, through);
        await leader.Established.WaitAsync(initLimit, cancellationToken);
        await replica.Gate.WhenCommitted(through).WaitAsync(initLimit, cancellationToken);
        await link.SendAsync(new QuorumMessage { UpToDate = new UpToDate { CommittedZxid = through } }, cancellationToken);
        return through;
    }

    private async Task SendLoopAsync(CancellationToken cancellationToken)
    {
        await foreach (var message in outgoing.Reader.ReadAllAsync(cancellationToken))
        {
            await link.SendAsync(message, cancellationToken);
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        var processor = leader.Replica.Processor;
        var sessions = leader.Replica.Sessions;
        while (true)
        {
            var message = await ReceiveAsync(leader.Options.SyncTimeout, cancellationToken);
            switch (message.BodyCase)
            {
                case QuorumMessage.BodyOneofCase.Ack:
                    leader.Acknowledged(PeerId, message.Ack.Zxid);
                    break;
                case QuorumMessage.BodyOneofCase.Ping:
                    foreach (var touch in message.Ping.Touches)
                    {
                        sessions.Touch(touch.SessionId, touch.Timeout);
                    }

                    break;
                case QuorumMessage.BodyOneofCase.Revalidate:
                    var revalidate = message.Revalidate;
                    var valid = sessions.Touch(revalidate.SessionId, revalidate.Timeout);
                    Queue(new QuorumMessage { RevalidateReply = new RevalidateReply { SessionId = revalidate.SessionId, Valid = valid } });
                    break;
                case QuorumMessage.BodyOneofCase.Request when message.Request.Type == (int)OpCode.CreateSession:
                    await processor.EnqueueAsync(RemoteSession(message.Request), cancellationToken);
                    break;
                case QuorumMessage.BodyOneofCase.Request:
                    await processor.EnqueueAsync(Forwarded(message.Request), cancellationToken);
                    break;
                default:
                    throw new QuorumProtocolException($"Member {PeerId} sent an unexpected {message.BodyCase} during broadcast.");
            }
        }
    }

    private RemoteSessionWork RemoteSession(Request request) => request.Body.Length == sizeof(int)
        ? new RemoteSessionWork(request.SessionId, BinaryPrimitives.ReadInt32BigEndian(request.Body.Span))
        : throw new QuorumProtocolException($"Member {PeerId} forwarded a malformed createSession.");

    private PacketWork Forwarded(Request request)
    {
        var type = (OpCode)request.Type;
        var authIds = request.Auth.Select(id => new Id(id.Scheme, id.Id)).ToList();
        var channel = new ForwardedChannel(this, request.SessionId, request.Xid, type, authIds);
        return new PacketWork(channel, new RequestHeader(request.Xid, type), request.Body.ToByteArray(), leader.Time.GetTimestamp());
    }

    private async Task<QuorumMessage> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var message = await link.ReceiveWithinAsync(timeout, cancellationToken);
        Interlocked.Exchange(ref lastHeard, Environment.TickCount64);
        return message;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Syncing member {Member} by {Kind}: it has 0x{LearnerZxid:x}, common point 0x{From:x}, through 0x{Through:x}")]
    private static partial void LogSyncing(ILogger logger, long member, SyncKind kind, long learnerZxid, long from, long through);

    [LoggerMessage(Level = LogLevel.Information, Message = "Member {Member} is synced through 0x{Zxid:x} and follows")]
    private static partial void LogSynced(ILogger logger, long member, long zxid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Member {Member} is no longer following: {Reason}")]
    private static partial void LogLearnerGone(ILogger logger, long member, string reason);
}
