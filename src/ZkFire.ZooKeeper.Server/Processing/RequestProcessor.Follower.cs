using System.Buffers.Binary;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Data;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>What a follower's request thread sends its leader.</summary>
internal interface ILeaderLink
{
    /// <summary>A client's write, createSession, closeSession or sync, with the ids its connection has proven.</summary>
    void Forward(long sessionId, int xid, OpCode type, byte[] body, IReadOnlyList<Id> authIds);

    /// <summary>A client resumes a session here: the leader, which tracks every session, says whether it is alive.</summary>
    void Revalidate(long sessionId, int timeout);
}

/// <summary>The leader committed everything through this transaction, which the follower logged when it was proposed.</summary>
internal sealed record CommittedWork(TxnHeader Header, object? Txn) : Work;

/// <summary>The leader's answer to a revalidation.</summary>
internal sealed record RevalidatedWork(long SessionId, bool Valid) : Work;

/// <summary>The leader has committed everything proposed before this session's sync.</summary>
internal sealed record SyncedWork(long SessionId, int Xid) : Work;

/// <summary>The leader: a follower's client asks for a new session with the id the follower chose.</summary>
internal sealed record RemoteSessionWork(long SessionId, int Timeout) : Work;

/// <summary>
/// A follower's half of the request thread (ZooKeeper's FollowerRequestProcessor and CommitProcessor): writes go to
/// the leader; the leader's commits are applied in zxid order and answer the local requests that caused them; a
/// session's reads wait behind its own writes still in flight, so a client always reads its own writes, while other
/// sessions' reads are served from the local tree at once.
/// </summary>
internal sealed partial class RequestProcessor
{
    /// <summary>Per session, its requests held behind a forwarded one (the head), in arrival order.</summary>
    private readonly Dictionary<long, Queue<Held>> held = [];

    /// <summary>Connections whose connect waits for the leader: their createSession to commit, or their revalidation.</summary>
    private readonly Dictionary<long, PendingConnect> pendingConnects = [];

    /// <summary>A follower's link to its leader; null on a leader or a standalone member.</summary>
    public ILeaderLink? Leader { get; set; }

    private readonly record struct Held(PacketWork Packet, bool Forwarded);

    private readonly record struct PendingConnect(IClientChannel Channel, int Timeout, bool? ReadOnly);

    /// <summary>Forwards writes and holds what must wait for them; false when the request is served here and now.</summary>
    private bool Follow(PacketWork packet)
    {
        var sessionId = packet.Channel.SessionId;
        var forward = IsForwarded(packet.Header.Type);
        if (!held.TryGetValue(sessionId, out var queue))
        {
            if (!forward)
            {
                return false;
            }

            held[sessionId] = queue = new Queue<Held>();
        }

        if (forward)
        {
            Leader!.Forward(sessionId, packet.Header.Xid, packet.Header.Type, packet.Body, packet.Channel.AuthIds);
        }

        queue.Enqueue(new Held(packet, forward));
        return true;
    }

    private static bool IsForwarded(OpCode type) => type is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer
        or OpCode.CreateTtl or OpCode.Delete or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl or OpCode.Check
        or OpCode.Multi or OpCode.Reconfig or OpCode.CloseSession or OpCode.Sync;

    /// <summary>A follower's connect: a new session is created through the leader, a resumed one revalidated by it.</summary>
    private void FollowerConnect(IClientChannel channel, long sessionId, byte[] password, int timeout, bool? readOnly)
    {
        if (sessionId == 0)
        {
            var session = sessions.CreateSession(timeout);
            pendingConnects[session.Id] = new PendingConnect(channel, timeout, readOnly);
            var body = new byte[sizeof(int)];
            BinaryPrimitives.WriteInt32BigEndian(body, timeout);
            Leader!.Forward(session.Id, 0, OpCode.CreateSession, body, channel.AuthIds);
            return;
        }

        if (!sessions.CheckPassword(sessionId, password))
        {
            RefuseSession(channel, sessionId, readOnly);
            return;
        }

        pendingConnects[sessionId] = new PendingConnect(channel, timeout, readOnly);
        Leader!.Revalidate(sessionId, timeout);
    }

    private void Revalidated(long sessionId, bool valid)
    {
        if (!pendingConnects.Remove(sessionId, out var pending))
        {
            return;
        }

        if (valid && sessions.Touch(sessionId, pending.Timeout))
        {
            AcceptSession(pending.Channel, sessionId, pending.Timeout, pending.ReadOnly);
        }
        else
        {
            RefuseSession(pending.Channel, sessionId, pending.ReadOnly);
        }
    }

    /// <summary>
    /// Applies a transaction the leader committed, then answers the local request it came from (if any) and serves
    /// the requests that waited behind it.
    /// </summary>
    private void ApplyCommitted(TxnHeader header, object? txn)
    {
        var result = Apply(header, txn, replaying: false);
        Interlocked.Exchange(ref lastZxid, header.Zxid);
        var sessionId = header.ClientId;
        switch (header.Type)
        {
            case OpCode.CreateSession when txn is CreateSessionTxn create:
                sessions.Track(sessionId, create.Timeout);
                if (pendingConnects.Remove(sessionId, out var pending))
                {
                    AcceptSession(pending.Channel, sessionId, pending.Timeout, pending.ReadOnly);
                }

                return;
            case OpCode.CloseSession:
                sessions.Remove(sessionId);
                if (owners.Remove(sessionId, out var owner) && !IsHeadOf(sessionId, header.Cxid))
                {
                    // Expired by the leader (or closed through another member): the connection here goes too.
                    Send(owner, null, close: true);
                }

                break;
        }

        if (!IsHeadOf(sessionId, header.Cxid))
        {
            return;
        }

        var packet = held[sessionId].Dequeue().Packet;
        var err = txn is ErrorTxn error ? error.Err : result.Err;
        if (header.Type == OpCode.CloseSession)
        {
            Reply(packet, Frames.Reply(new ReplyHeader(header.Cxid, tree.LastProcessedZxid, err)), tree.LastProcessedZxid);
            Send(packet.Channel, null, close: true);
        }
        else
        {
            ReplyToWrite(packet, result, err, header.Type);
        }

        ServeHeld(sessionId);
    }

    private void Synced(long sessionId, int xid)
    {
        if (!IsHeadOf(sessionId, xid))
        {
            return;
        }

        var packet = held[sessionId].Dequeue().Packet;
        Dispatch(packet);
        ServeHeld(sessionId);
    }

    private bool IsHeadOf(long sessionId, int xid) =>
        held.TryGetValue(sessionId, out var queue) && queue.TryPeek(out var head) && head.Forwarded && head.Packet.Header.Xid == xid;

    /// <summary>Serves the reads that waited for the write just answered, up to the next forwarded request.</summary>
    private void ServeHeld(long sessionId)
    {
        var queue = held[sessionId];
        while (queue.TryPeek(out var next) && !next.Forwarded)
        {
            queue.Dequeue();
            Dispatch(next.Packet);
        }

        if (queue.Count == 0)
        {
            held.Remove(sessionId);
        }
    }
}
