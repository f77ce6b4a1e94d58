using System.Net;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Server.Watches;

namespace ZkFire.ZooKeeper.Server.Processing;

/// <summary>
/// A client connection as the request thread sees it: where its replies and watch events go (it is the watcher of
/// the watches it sets, as a ServerCnxn is in ZooKeeper) and which ids it has proven.
/// </summary>
internal interface IClientChannel : IWatcher
{
    IPAddress RemoteAddress { get; }

    /// <summary>The timeout negotiated by this connection; it governs the session's expiry while the connection lasts.</summary>
    int SessionTimeout { get; }

    /// <summary>
    /// The ids this connection has proven, starting with its <c>ip</c> id. Per connection, as in ZooKeeper: a
    /// client that reconnects sends its auth packets again. Read and changed on the request thread only.
    /// </summary>
    List<Id> AuthIds { get; }

    /// <summary>Binds the connection to its session once the connect request is accepted.</summary>
    void AttachSession(long sessionId, int timeout);

    /// <summary>Queues a frame (a length-prefixed packet) for sending; never blocks.</summary>
    void Send(byte[] frame);

    /// <summary>Closes the connection once what was queued before has been sent.</summary>
    void Close();

    /// <summary>Notes a reply for the cons/stat four-letter words.</summary>
    void RecordReply(int xid, long zxid, OpCode type, long latencyMilliseconds);
}
