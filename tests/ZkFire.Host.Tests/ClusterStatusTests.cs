using ZkFire.Cluster.Membership;

namespace ZkFire.Host.Tests;

/// <summary>The status report and its verdict, from given findings.</summary>
public sealed class ClusterStatusTests
{
    private static readonly ClusterMember Node1 = new(
        "node1", "127.0.0.1:5270", "1.0.0", new DateTimeOffset(2026, 11, 26, 13, 40, 1, TimeSpan.Zero), 0x1000a, 17,
        "127.0.0.1:5222", "127.0.0.1:2181", 1, 4);

    private static readonly ClusterMember Node2 = Node1 with
    {
        NodeId = "node2", NoticeAddress = "127.0.0.1:5271", SessionId = 0x2000b, C2sAddress = "127.0.0.1:5232",
        ZooKeeperClientAddress = "127.0.0.1:2182", ZooKeeperMyId = 2, SessionCount = 3,
    };

    [Fact]
    public void A_serving_ensemble_is_reported_with_its_leader_nodes_and_session_counts()
    {
        var status = new ClusterStatus("127.0.0.1:2181", "/zkfire", EmbeddedEnsemble: true,
        [
            new("server.1", "127.0.0.1:2181", "node1", "follower"),
            new("server.2", "127.0.0.1:2182", "node2", "leader"),
            new("server.3", null, null, EnsembleMemberStatus.AddressUnknown),
        ], [Node1, Node2], null);

        Assert.True(status.IsServing);
        Assert.Equal("server.2 leads; 2 node(s) registered, 7 client session(s)", status.Verdict);
        var lines = status.Format().Split('\n');
        Assert.Contains("  server.2  127.0.0.1:2182  node2  leader", lines);
        Assert.Contains("  server.3  ?               -      unknown (no node reports its address)", lines);
        Assert.Contains("  node2  127.0.0.1:5271  127.0.0.1:5232  1.0.0    2026-11-26 13:40:01  3         0x2000b", lines);
        Assert.Equal("OK: server.2 leads; 2 node(s) registered, 7 client session(s)", lines[^2]);
    }

    [Fact]
    public void Followers_or_an_open_session_show_a_serving_ensemble_whose_leader_was_not_reached()
    {
        var followers = new ClusterStatus("127.0.0.1:2181", "/zkfire", true,
            [new("server.1", "127.0.0.1:2181", "node1", "follower"), new("server.2", null, null, EnsembleMemberStatus.AddressUnknown)],
            null, "no ZooKeeper session within 5 s");
        var session = followers with { Ensemble = [new("server.1", "127.0.0.1:2181", "node1", EnsembleMemberStatus.Unreachable)], Nodes = [], NodesError = null };

        Assert.True(followers.IsServing);
        Assert.Equal("the ensemble serves (its leader is not among the members reached); nodes unknown: no ZooKeeper session within 5 s", followers.Verdict);
        Assert.Contains("Nodes: unknown (no ZooKeeper session within 5 s)\n", followers.Format(), StringComparison.Ordinal);
        Assert.True(session.IsServing);
        Assert.Contains("  (none)\n", session.Format(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_standalone_member_serves()
    {
        var status = new ClusterStatus("127.0.0.1:2181", "/zkfire", false, [new("127.0.0.1:2181", "127.0.0.1:2181", null, "standalone")], [Node1], null);

        Assert.True(status.IsServing);
        Assert.StartsWith("127.0.0.1:2181 serves standalone;", status.Verdict, StringComparison.Ordinal);
        Assert.StartsWith("ZooKeeper 127.0.0.1:2181 (external ensemble), cluster root /zkfire\n", status.Format(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EnsembleMemberStatus.NotServing, "members answer but none serves (quorum lost?)")]
    [InlineData(EnsembleMemberStatus.Unreachable, "no member answers (quorum lost?)")]
    [InlineData(EnsembleMemberStatus.AddressUnknown, "no session could be opened (quorum lost?)")]
    public void Without_a_session_or_a_serving_member_the_verdict_is_a_failure_with_a_reason(string mode, string reason)
    {
        var status = new ClusterStatus("127.0.0.1:2181,127.0.0.1:2182", "/zkfire", false,
            [new("127.0.0.1:2181", "127.0.0.1:2181", null, mode), new("127.0.0.1:2182", "127.0.0.1:2182", null, EnsembleMemberStatus.AddressUnknown)],
            null, "no ZooKeeper session within 5 s");

        Assert.False(status.IsServing);
        Assert.Equal($"ZooKeeper unreachable at 127.0.0.1:2181,127.0.0.1:2182: {reason}", status.Verdict);
        Assert.EndsWith($"\nFAIL: {status.Verdict}\n", status.Format(), StringComparison.Ordinal);
    }
}
