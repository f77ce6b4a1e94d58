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
    /// <param name="leaderLastAtOrBelow">The newest zxid in the leader's log at or below the one given, or 0; asked
    /// a few times, so that the leader's log is probed where the histories might part rather than read whole.</param>
    /// <param name="leaderLast">The leader's last logged zxid.</param>
    /// <param name="learnerLast">The learner's last logged zxid (or its snapshot's, with an empty log).</param>
    /// <param name="learnerEpochEnds">The last zxid of each epoch in the learner's log, ascending.</param>
    public static SyncPlan Decide(Func<long, long> leaderLastAtOrBelow, long leaderLast, long learnerLast, IReadOnlyList<long> learnerEpochEnds)
    {
        if (learnerLast == leaderLast || Logged(leaderLastAtOrBelow, learnerLast))
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

            if (Logged(leaderLastAtOrBelow, end))
            {
                return new SyncPlan(SyncKind.Trunc, end);
            }

            var below = leaderLastAtOrBelow(end - 1);
            if (below > 0 && Zxid.Epoch(below) == Zxid.Epoch(end))
            {
                return new SyncPlan(SyncKind.Trunc, below);
            }
        }

        return new SyncPlan(SyncKind.Snap, leaderLast);
    }

    private static bool Logged(Func<long, long> leaderLastAtOrBelow, long zxid) => zxid > 0 && leaderLastAtOrBelow(zxid) == zxid;
}
