namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

/// <summary>
/// The leader's count of acknowledgements. Followers acknowledge cumulatively (everything through a zxid is durable
/// with them) over ordered links, so a quorum has a zxid durably once the quorum-th highest acknowledged zxid reaches
/// it; that zxid is committed. Commits are reported in order, one at a time.
/// </summary>
internal sealed class AckTracker(int quorumSize, Action<long> committed)
{
    private readonly Lock gate = new();
    private readonly Dictionary<long, long> acked = [];
    private long commit;

    public long Committed
    {
        get
        {
            lock (gate)
            {
                return commit;
            }
        }
    }

    /// <summary>Member <paramref name="member"/> has everything through <paramref name="zxid"/> durably.</summary>
    public void Ack(long member, long zxid)
    {
        lock (gate)
        {
            if (acked.TryGetValue(member, out var previous) && previous >= zxid)
            {
                return;
            }

            acked[member] = zxid;
            if (acked.Count < quorumSize)
            {
                return;
            }

            var quorumZxid = acked.Values.OrderDescending().ElementAt(quorumSize - 1);
            if (quorumZxid <= commit)
            {
                return;
            }

            commit = quorumZxid;
            // Under the lock, so that commits reach the learners' queues and the gate in zxid order.
            committed(quorumZxid);
        }
    }

    /// <summary>The member left: its acknowledgements no longer count towards new commits.</summary>
    public void Remove(long member)
    {
        lock (gate)
        {
            acked.Remove(member);
        }
    }
}
