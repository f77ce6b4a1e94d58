using ZkFire.Cluster.Routing;
using ZkFire.Xmpp.Addressing;

namespace ZkFire.Cluster.Tests.Routing;

public sealed class RoutingTableTests
{
    private static readonly Jid Alice = Jid.Parse("alice@example.org");

    private static RemoteRoute Route(string node, string resource, long stamp, bool available = true) =>
        new(null!, node, Jid.Parse($"alice@example.org/{resource}"), stamp, available ? new ZkFire.Xmpp.Xml.Element("presence") : null, 0, false);

    [Fact]
    public void Routes_are_found_by_bare_and_full_jid_and_replaced_per_node_and_resource()
    {
        var table = new RoutingTable();
        table.Upsert(Route("n1", "phone", 10));
        table.Upsert(Route("n2", "laptop", 11));
        table.Upsert(Route("n1", "phone", 12, available: false));

        Assert.Equal(2, table.Resources(Alice).Length);
        Assert.Equal(2, table.Count);
        var phone = table.Find(Jid.Parse("alice@example.org/phone"));
        Assert.NotNull(phone);
        Assert.Equal((12L, false), (phone.Stamp, phone.Available));
        Assert.Null(table.Find(Jid.Parse("alice@example.org/tablet")));
    }

    [Fact]
    public void Of_two_nodes_claiming_one_full_jid_the_newest_bind_is_found()
    {
        var table = new RoutingTable();
        table.Upsert(Route("n2", "phone", 20));
        table.Upsert(Route("n1", "phone", 21));
        Assert.Equal("n1", table.Find(Jid.Parse("alice@example.org/phone"))!.NodeId);

        table.Upsert(Route("n3", "phone", 21));
        Assert.Equal("n3", table.Find(Jid.Parse("alice@example.org/phone"))!.NodeId);
    }

    [Fact]
    public void A_removal_never_removes_a_newer_bind()
    {
        var table = new RoutingTable();
        table.Upsert(Route("n1", "phone", 30));

        Assert.Null(table.Remove("n1", Jid.Parse("alice@example.org/phone"), 29));
        Assert.NotNull(table.Remove("n1", Jid.Parse("alice@example.org/phone"), 30));
        Assert.Empty(table.Resources(Alice));
        Assert.Null(table.Remove("n2", Jid.Parse("alice@example.org/phone"), 99));
    }

    [Fact]
    public void Replacing_a_node_reports_only_the_routes_that_went()
    {
        var table = new RoutingTable();
        table.Upsert(Route("n1", "phone", 1));
        table.Upsert(Route("n1", "laptop", 2));
        table.Upsert(Route("n2", "tablet", 3));

        var gone = table.ReplaceNode("n1", [Route("n1", "phone", 1), Route("n1", "desk", 4)]);

        Assert.Equal(["laptop"], gone.Select(r => r.Jid.Resource));
        Assert.Equal(["desk", "phone", "tablet"], table.Resources(Alice).Select(r => r.Jid.Resource!).Order());
    }

    [Fact]
    public void Removing_a_node_purges_all_its_routes_and_nothing_else()
    {
        var table = new RoutingTable();
        table.Upsert(Route("n1", "phone", 1));
        table.Upsert(Route("n2", "tablet", 3));

        Assert.Single(table.RemoveNode("n1"));
        Assert.Equal(["tablet"], table.Resources(Alice).Select(r => r.Jid.Resource));
        Assert.Empty(table.RemoveNode("n1"));
    }

    [Fact]
    public void Bind_stamps_never_go_backwards_and_pass_any_stamp_seen()
    {
        var time = new SettableTime { Now = DateTimeOffset.FromUnixTimeSeconds(1_000_000) };
        var clock = new BindClock(time);
        var first = clock.Next();
        time.Now -= TimeSpan.FromSeconds(5);
        var second = clock.Next();
        Assert.True(second > first);

        // Another node's clock runs ahead: a bind here after hearing of its bind still wins.
        clock.Observe(first + 60_000_000);
        Assert.True(clock.Next() > first + 60_000_000);
    }

    [Fact]
    public void Equal_stamps_are_ordered_by_node_id()
    {
        Assert.True(BindClock.Compare(5, "b", 5, "a") > 0);
        Assert.True(BindClock.Compare(5, "a", 6, "b") < 0);
        Assert.Equal(0, BindClock.Compare(5, "a", 5, "a"));
    }

    /// <summary>A wall clock that can be set back, as NTP may do to a real one.</summary>
    private sealed class SettableTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
