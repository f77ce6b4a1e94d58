namespace ZkFire.ZooKeeper.Server.Quorum.Zab;

internal enum SyncKind
{
    /// <summary>The learner's log is a prefix of the leader's: send what follows <see cref="SyncPlan.From"/>.</summary>
    Diff,

    /// <summary>The learner logged proposals the leader never had: drop them after <see cref="SyncPlan.From"/>, then diff.</summary>
    Trunc,

    /// <summary>No common point the leader's log can continue from: send the whole state.</summary>
    Snap,
}

/// <summary>How the leader brings a learner's history in line with its own.</summary>
internal readonly record struct SyncPlan(SyncKind Kind, long From)
{
    /// <summary>
    /// Finds the newest zxid both histories hold. Two members that logged the same zxid hold the same history up to it
    /// (one leader per epoch, proposals in order, and every leader first syncs its followers), so comparing zxids is
    /// enough: the learner's last zxid if the leader has it; else, epoch by epoch from the newest, the end of the
    /// learner's epoch if the leader has it, or the leader's last zxid of that epoch below it.
    /// </summary>
    /// <param name="leaderLog">The zxids in the leader's log, ascending.</param>
    /// <param name="learnerLast">The learner's last logged zxid (or its snapshot's, with an empty log).</param>
    /// <param name="learnerEpochEnds">The last zxid of each epoch in the learner's log, ascending.</param>
    public static SyncPlan Decide(IReadOnlyList<long> leaderLog, long leaderLast, long learnerLast, IReadOnlyList<long> learnerEpochEnds)
    {
        if (learnerLast == leaderLast)
        {
            return new SyncPlan(SyncKind.Diff, learnerLast);
        }

        if (Contains(leaderLog, learnerLast))
        {
            return new SyncPlan(SyncKind.Diff, learnerLast);
        }

        for (var i = learnerEpochEnds.Count - 1; i >= 0; i--)
        {
            var end = learnerEpochEnds[i];
            if (end > learnerLast)
            {
                continue;
            }

            if (Contains(leaderLog, end))
            {
                return new SyncPlan(SyncKind.Trunc, end);
            }

            var below = LastOfEpochBelow(leaderLog, Zxid.Epoch(end), end);
            if (below > 0)
            {
                return new SyncPlan(SyncKind.Trunc, below);
            }
        }

        return new SyncPlan(SyncKind.Snap, leaderLast);
    }

    private static bool Contains(IReadOnlyList<long> log, long zxid) => zxid > 0 && BinarySearch(log, zxid) >= 0;

    /// <summary>The leader's newest zxid of <paramref name="epoch"/> below <paramref name="limit"/>, or 0.</summary>
    private static long LastOfEpochBelow(IReadOnlyList<long> log, long epoch, long limit)
    {
        var index = BinarySearch(log, limit);
        var before = (index >= 0 ? index : ~index) - 1;
        return before >= 0 && Zxid.Epoch(log[before]) == epoch ? log[before] : 0;
    }

    private static int BinarySearch(IReadOnlyList<long> log, long zxid)
    {
        int low = 0, high = log.Count - 1;
        while (low <= high)
        {
            var middle = low + ((high - low) / 2);
            var value = log[middle];
            if (value == zxid)
            {
                return middle;
            }

            if (value < zxid)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }
}
