using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Election;

/// <summary>
/// A fast-leader-election vote: the proposed leader with the last zxid and current epoch it announced, and the logical
/// clock (election epoch) of the election it was cast in.
/// </summary>
internal readonly record struct Vote(long Leader, long Zxid, long ElectionEpoch, long PeerEpoch)
{
    /// <summary>
    /// Whether this vote's leader is a better candidate than <paramref name="other"/>'s: a higher epoch first, then a
    /// higher zxid, then a higher myid. The member with the most recent history wins, so no committed transaction is
    /// lost; the myid breaks ties so that every member reaches the same choice. The election epoch plays no part.
    /// </summary>
    public bool IsBetterThan(Vote other) =>
        PeerEpoch != other.PeerEpoch ? PeerEpoch > other.PeerEpoch
        : Zxid != other.Zxid ? Zxid > other.Zxid
        : Leader > other.Leader;

    /// <summary>This vote as a notification from a member in <paramref name="state"/>.</summary>
    public Notification ToNotification(PeerState state) => new()
    {
        Leader = Leader,
        Zxid = Zxid,
        ElectionEpoch = ElectionEpoch,
        PeerEpoch = PeerEpoch,
        State = state,
    };
}
