namespace ZkFire.Cluster.Routing;

/// <summary>
/// A hybrid clock for bind stamps: microseconds of wall time, but never behind a stamp this node has issued or seen
/// from another node. A bind made after this node heard of another bind of the same full JID therefore has a greater
/// stamp even when the nodes' clocks disagree, and "the newest bind wins" means the same thing on every node. Stamps
/// that are equal are ordered by node id (<see cref="Compare"/>).
/// </summary>
internal sealed class BindClock(TimeProvider time)
{
    private long last;

    public long Next()
    {
        while (true)
        {
            var seen = Volatile.Read(ref last);
            var next = Math.Max(time.GetUtcNow().ToUnixTimeMilliseconds() * 1000, seen + 1);
            if (Interlocked.CompareExchange(ref last, next, seen) == seen)
            {
                return next;
            }
        }
    }

    public void Observe(long stamp)
    {
        var seen = Volatile.Read(ref last);
        while (stamp > seen)
        {
            var before = Interlocked.CompareExchange(ref last, stamp, seen);
            if (before == seen)
            {
                return;
            }

            seen = before;
        }
    }

    /// <summary>Orders two binds: positive when (<paramref name="stamp"/>, <paramref name="node"/>) is the newer.</summary>
    public static int Compare(long stamp, string node, long otherStamp, string otherNode)
    {
        var byStamp = stamp.CompareTo(otherStamp);
        return byStamp != 0 ? byStamp : string.CompareOrdinal(node, otherNode);
    }
}
