namespace ZkFire.Jute;

/// <summary>
/// Reserved xids (ClientCnxn): replies carrying them are not answers to a numbered request, so a client must
/// not match them against its pending queue.
/// </summary>
public static class SpecialXid
{
    /// <summary>A watch event (ReplyHeader followed by WatcherEvent).</summary>
    public const int Notification = -1;

    public const int Ping = -2;

    /// <summary>AuthPacket requests and their replies.</summary>
    public const int Auth = -4;

    /// <summary>SetWatches/SetWatches2 sent on reconnect.</summary>
    public const int SetWatches = -8;
}
