using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Quorum.Zab;
using ZkFire.ZooKeeper.Server.Tests.Persistence;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Zab;

public sealed class SyncPlanTests
{
    private static long Z(long epoch, long counter) => Zxid.Make(epoch, counter);

    private static readonly long[] LeaderLog = [Z(1, 1), Z(1, 2), Z(1, 3), Z(2, 1), Z(2, 2), Z(3, 1)];

    /// <summary>Decides against a leader's log given as its zxids.</summary>
    private static SyncPlan Decide(long[] leaderLog, long leaderLast, long learnerLast, long[] learnerEpochEnds) =>
        SyncPlan.Decide(zxid => leaderLog.LastOrDefault(logged => logged <= zxid), leaderLast, learnerLast, learnerEpochEnds);

    [Fact]
    public void A_learner_level_with_the_leader_gets_an_empty_diff()
    {
        Assert.Equal(new SyncPlan(SyncKind.Diff, Z(3, 1)), Decide(LeaderLog, Z(3, 1), Z(3, 1), [Z(1, 3), Z(2, 2), Z(3, 1)]));
    }

    [Fact]
    public void A_learner_behind_on_the_leaders_history_gets_a_diff_from_its_last_zxid()
    {
        Assert.Equal(new SyncPlan(SyncKind.Diff, Z(1, 2)), Decide(LeaderLog, Z(3, 1), Z(1, 2), [Z(1, 2)]));
    }

    [Fact]
    public void A_learner_with_proposals_of_an_epoch_that_never_committed_them_is_truncated_to_the_common_point()
    {
        // It logged (2,3) and (2,4), which the leader of epoch 3 never had.
        Assert.Equal(new SyncPlan(SyncKind.Trunc, Z(2, 2)), Decide(LeaderLog, Z(3, 1), Z(2, 4), [Z(1, 3), Z(2, 4)]));
    }

    [Fact]
    public void A_learner_ahead_of_the_leader_in_the_leaders_own_epoch_is_truncated_to_the_leaders_last()
    {
        Assert.Equal(new SyncPlan(SyncKind.Trunc, Z(3, 1)), Decide(LeaderLog, Z(3, 1), Z(3, 5), [Z(1, 3), Z(2, 2), Z(3, 5)]));
    }

    [Fact]
    public void A_learner_whose_whole_epoch_is_unknown_to_the_leader_falls_back_to_its_previous_epoch()
    {
        // Epoch 4 of the learner never reached the leader; its epoch 2 ends at (2,2), which the leader has.
        Assert.Equal(new SyncPlan(SyncKind.Trunc, Z(2, 2)), Decide(LeaderLog, Z(3, 1), Z(4, 2), [Z(1, 3), Z(2, 2), Z(4, 2)]));
    }

    [Fact]
    public void A_learner_with_no_common_point_gets_a_snapshot()
    {
        Assert.Equal(SyncKind.Snap, Decide(LeaderLog, Z(3, 1), 0, []).Kind);
        Assert.Equal(SyncKind.Snap, Decide([Z(5, 1), Z(5, 2)], Z(5, 2), Z(1, 7), [Z(1, 7)]).Kind);
    }

    [Fact]
    public async Task A_leader_probing_its_log_on_disk_decides_as_from_the_list_of_its_zxids()
    {
        using var directory = new TempDirectory();
        await using var log = TransactionLog.Open(directory.Path, forceSync: false, NullLogger.Instance);
        foreach (var zxid in LeaderLog)
        {
            log.Append(zxid, [1]);
            await log.FlushAsync(CancellationToken.None);
            if (zxid == Z(1, 2) || zxid == Z(2, 2))
            {
                log.RollOver(); // one file ends inside an epoch, one at its end
            }
        }

        (long Last, long[] Ends)[] learners =
        [
            (Z(3, 1), [Z(1, 3), Z(2, 2), Z(3, 1)]),
            (Z(1, 2), [Z(1, 2)]),
            (Z(1, 1), [Z(1, 1)]),
            (Z(2, 4), [Z(1, 3), Z(2, 4)]),
            (Z(2, 1), [Z(1, 3), Z(2, 1)]),
            (Z(3, 5), [Z(1, 3), Z(2, 2), Z(3, 5)]),
            (Z(4, 2), [Z(1, 3), Z(2, 2), Z(4, 2)]),
            (Z(1, 9), [Z(1, 9)]),
            (Z(0, 9), [Z(0, 9)]),
            (0, []),
        ];
        foreach (var (last, ends) in learners)
        {
            Assert.Equal(Decide(LeaderLog, Z(3, 1), last, ends), SyncPlan.Decide(log.LastZxidAtOrBelow, log.FlushedZxid, last, ends));
        }
    }
}
