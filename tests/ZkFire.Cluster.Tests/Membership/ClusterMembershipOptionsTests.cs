using ZkFire.Cluster.Membership;

namespace ZkFire.Cluster.Tests.Membership;

public sealed class ClusterMembershipOptionsTests
{
    [Fact]
    public void The_join_backoff_doubles_from_the_minimum_and_stays_at_the_maximum()
    {
        var options = new ClusterMembershipOptions
        {
            ConnectString = "127.0.0.1:2181",
            NodeId = "a",
            NoticeAddress = "127.0.0.1:4001",
            MinRejoinBackoff = TimeSpan.FromMilliseconds(200),
            MaxRejoinBackoff = TimeSpan.FromMilliseconds(1000),
        };

        var waits = new List<double>();
        var backoff = options.MinRejoinBackoff;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            waits.Add(backoff.TotalMilliseconds);
            backoff = options.NextRejoinBackoff(backoff);
        }

        Assert.Equal([200, 400, 800, 1000, 1000], waits);
    }
}
