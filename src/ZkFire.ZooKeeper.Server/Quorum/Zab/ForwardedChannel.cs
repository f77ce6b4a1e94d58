using System.Net;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Processing;

namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

/// <summary>
/// The leader's stand-in for a follower's client connection, for one forwarded request: it carries the session and
/// the ids the connection proved into the ordinary request path. Replies are the follower's to make once it applies
/// the commit, so they are dropped here; except the reply to a sync, which the commit gate releases only after
/// everything proposed before it is committed, and which becomes the Synced message that lets the follower answer.
/// </summary>
internal sealed class ForwardedChannel(LearnerHandler learner, long sessionId, int xid, OpCode type, List<Id> authIds) : IClientChannel
{
    public long SessionId => sessionId;

    // The follower proved the client's address as its ip id, which travels with the ids; the leader never sees the client.
    public IPAddress RemoteAddress => IPAddress.None;

    public int SessionTimeout => 0;

    public List<Id> AuthIds => authIds;

    public void AttachSession(long id, int timeout)
    {
    }

    public void Send(byte[] frame)
    {
        if (type == OpCode.Sync)
        {
            learner.Synced(sessionId, xid);
        }
    }

    public void Close()
    {
    }

    public void RecordReply(int replyXid, long zxid, OpCode replyType, long latencyMilliseconds)
    {
    }
}
