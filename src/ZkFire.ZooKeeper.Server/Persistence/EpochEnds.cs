using ZkFire.ZooKeeper.Server.Quorum.Zab;

namespace ZkFire.ZooKeeper.Server.Persistence;

/// <summary>
/// The last zxid of each epoch in a run of ascending zxids: what a ZAB learner tells a new leader about its log. The
/// log keeps one such list per file, so that nobody reads the records to learn it.
/// </summary>
internal static class EpochEnds
{
    /// <summary>Notes <paramref name="zxid"/>, newer than every zxid noted at or after index <paramref name="from"/>.</summary>
    public static void Note(List<long> ends, long zxid, int from = 0)
    {
        if (ends.Count > from && Zxid.Epoch(ends[^1]) == Zxid.Epoch(zxid))
        {
            ends[^1] = zxid;
        }
        else
        {
            ends.Add(zxid);
        }
    }
}
