using ZkFire.ZooKeeper.Server.Quorum.Zab;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Zab;

public sealed class AckTrackerTests
{
    [Fact]
    public void A_zxid_commits_once_a_quorum_has_acknowledged_it_and_commits_come_in_order()
    {
        var commits = new List<long>();
        var tracker = new AckTracker(quorumSize: 2, commits.Add);

        tracker.Ack(1, 5);
        Assert.Empty(commits);
        tracker.Ack(2, 3);
        Assert.Equal([3], commits);
        tracker.Ack(3, 7);
        Assert.Equal([3, 5], commits);
        tracker.Ack(2, 9);
        Assert.Equal([3, 5, 7], commits);
        Assert.Equal(7, tracker.Committed);
    }

    [Fact]
    public void Older_acknowledgements_change_nothing_and_a_removed_member_no_longer_counts()
    {
        var commits = new List<long>();
        var tracker = new AckTracker(quorumSize: 3, commits.Add);

        tracker.Ack(1, 10);
        tracker.Ack(2, 10);
        tracker.Remove(2);
        tracker.Ack(3, 10);
        Assert.Empty(commits);
        tracker.Ack(4, 8);
        Assert.Equal([8], commits);
        tracker.Ack(4, 6);
        Assert.Equal([8], commits);
    }
}
