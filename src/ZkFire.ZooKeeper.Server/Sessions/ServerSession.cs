namespace ZkFire.ZooKeeper.Server.Sessions;

/// <summary>
/// A client session as the tracker knows it. <see cref="Timeout"/> is the timeout negotiated when the session was
/// created (what the log and snapshots record); a reconnecting client may negotiate another one for its connection,
/// which then governs expiry, as in ZooKeeper.
/// </summary>
internal sealed class ServerSession(long id, int timeout)
{
    public long Id { get; } = id;

    public int Timeout { get; } = timeout;

    /// <summary>Set once the session's closeSession is under way (expiry or the client's request); it takes no more requests.</summary>
    public bool IsClosing { get; internal set; }

    public override string ToString() => $"0x{Id:x}";
}
