using ZkFire.Cluster.Membership;
using ZkFire.Cluster.Tests.Membership;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Tests.Routing;
using ZkFire.Xmpp.Xml;
using ZkFire.ZooKeeper.Client;
using ZkFire.ZooKeeper.Client.Tests;

namespace ZkFire.Cluster.Tests.Nodes;

/// <summary>
/// RFC 6120/6121 routing between users on different nodes of an in-process cluster (real notice links and
/// membership): the outcomes must be those of one server.
/// </summary>
[Collection(ZkFireServerCollection.Name)]
public sealed class CrossNodeRoutingTests(ZkFireServerFixture server) : IAsyncLifetime
{
    private ClusterHarness cluster = null!;

    public async Task InitializeAsync() => cluster = await ClusterHarness.StartAsync(server.ConnectString, 3);

    public async Task DisposeAsync() => await cluster.DisposeAsync();

    [Fact]
    public async Task A_message_to_a_full_jid_on_another_node_arrives_once_and_unchanged()
    {
        var alice = await cluster.OnlineAsync(0, "alice1", "phone");
        var bob = await cluster.OnlineAsync(1, "bob1", "laptop");

        await alice.SendAsync($"<message to='{bob.Jid}' type='chat' id='m1'><body>hi bob</body></message>");

        var received = await ClusterHarness.NextAsync(bob, e => e.Name == "message");
        Assert.Equal(("hi bob", alice.Jid.ToString(), "m1"), (received.Child("body", "jabber:client")?.Text, received.GetAttribute("from"), received.GetAttribute("id")));
    }

    [Fact]
    public async Task A_message_to_a_bare_jid_goes_to_the_highest_priority_resources_on_every_node()
    {
        var alice = await cluster.OnlineAsync(0, "alice2", "phone");
        var bobHigh1 = await cluster.OnlineAsync(1, "bob2", "desk", priority: 5);
        var bobHigh2 = await cluster.OnlineAsync(2, "bob2", "laptop", priority: 5);
        var bobLow = await cluster.OnlineAsync(0, "bob2", "phone", priority: 1);
        await cluster.WaitForRouteAsync(bobHigh2.Jid, matching: r => r.Priority == 5);

        await alice.SendAsync("<message to='bob2@localhost' type='chat'><body>to all high</body></message>");

        await ClusterHarness.NextAsync(bobHigh1, e => e.Name == "message");
        await ClusterHarness.NextAsync(bobHigh2, e => e.Name == "message");
        await Task.Delay(300);
        Assert.DoesNotContain(bobLow.Take(), e => e.Name == "message");
    }

    [Fact]
    public async Task A_message_to_an_unbound_full_jid_falls_back_to_the_bare_jid_rules()
    {
        var alice = await cluster.OnlineAsync(0, "alice3", "phone");
        var bob = await cluster.OnlineAsync(2, "bob3", "laptop");

        await alice.SendAsync("<message to='bob3@localhost/gone' type='chat'><body>fallback</body></message>");

        Assert.Equal("fallback", (await ClusterHarness.NextAsync(bob, e => e.Name == "message")).Child("body", "jabber:client")?.Text);
    }

    [Fact]
    public async Task With_no_resource_online_anywhere_a_message_is_stored_and_delivered_on_any_node()
    {
        var alice = await cluster.OnlineAsync(0, "alice4", "phone");
        await cluster.BindAsync(1, "bob4", "setup");
        await cluster[1].Xmpp.Router.UnbindAsync(cluster[1].Xmpp.Router.Sessions.Find(Jid.Parse("bob4@localhost/setup"))!, CancellationToken.None);
        await cluster.WaitForRouteAsync(Jid.Parse("bob4@localhost/setup"), bound: false);

        await alice.SendAsync("<message to='bob4@localhost' type='chat'><body>while away</body></message>");
        await Task.Delay(200);
        var bob = await cluster.OnlineAsync(2, "bob4", "laptop");

        var delivered = await ClusterHarness.NextAsync(bob, e => e.Name == "message");
        Assert.Equal("while away", delivered.Child("body", "jabber:client")?.Text);
        Assert.NotNull(delivered.Child("delay", "urn:xmpp:delay"));
    }

    [Fact]
    public async Task Presence_subscriptions_broadcasts_and_probes_cross_nodes()
    {
        var alice = await cluster.OnlineAsync(0, "alice5", "phone");
        var bob = await cluster.OnlineAsync(1, "bob5", "laptop");
        await ClusterHarness.SubscribeBothWaysAsync(alice, bob);

        // Bob's second resource logs in on a third node: the probe is answered from the routing table, and alice
        // sees the new resource.
        var bob2 = await cluster.BindInterestedAsync(2, "bob5", "tablet");
        await bob2.SendAsync("<presence><status>tablet here</status></presence>");
        var seenByBob2 = await ClusterHarness.NextAsync(bob2, e => e.Name == "presence" && e.GetAttribute("from") == alice.Jid.ToString());
        Assert.Null(seenByBob2.GetAttribute("type"));
        var seenByAlice = await ClusterHarness.NextAsync(alice, e => e.Name == "presence" && e.GetAttribute("from") == bob2.Jid.ToString());
        Assert.Equal("tablet here", seenByAlice.Child("status", "jabber:client")?.Text);

        // Bob's own other resource (node 1) sees the tablet come online.
        await ClusterHarness.NextAsync(bob, e => e.Name == "presence" && e.GetAttribute("from") == bob2.Jid.ToString());

        await bob2.SendAsync("<presence type='unavailable'/>");
        Assert.Equal("unavailable", (await ClusterHarness.NextAsync(alice, e => e.Name == "presence" && e.GetAttribute("from") == bob2.Jid.ToString())).GetAttribute("type"));
    }

    [Fact]
    public async Task Roster_pushes_reach_the_users_resources_on_other_nodes()
    {
        var here = await cluster.BindInterestedAsync(0, "carol6", "phone");
        var there = await cluster.BindInterestedAsync(2, "carol6", "laptop");
        await cluster.WaitForRouteAsync(there.Jid, matching: r => r.InterestedInRoster);

        await here.SendAsync("<iq type='set' id='r1'><query xmlns='jabber:iq:roster'><item jid='dave6@localhost' name='Dave'/></query></iq>");

        var push = await ClusterHarness.NextAsync(there, e => e.Name == "iq" && e.GetAttribute("type") == "set");
        Assert.Equal("Dave", push.Child("query", "jabber:iq:roster")?.Child("item", "jabber:iq:roster")?.GetAttribute("name"));
    }

    [Fact]
    public async Task Iqs_to_a_full_jid_on_another_node_are_answered_by_that_client()
    {
        var alice = await cluster.OnlineAsync(0, "alice7", "phone");
        var bob = await cluster.OnlineAsync(1, "bob7", "laptop");

        await alice.SendAsync($"<iq to='{bob.Jid}' type='get' id='ping1'><ping xmlns='urn:xmpp:ping'/></iq>");
        var ping = await ClusterHarness.NextAsync(bob, e => e.Name == "iq" && e.GetAttribute("id") == "ping1");
        Assert.Equal(alice.Jid.ToString(), ping.GetAttribute("from"));

        await bob.SendAsync($"<iq to='{alice.Jid}' type='result' id='ping1'/>");
        Assert.Equal("result", (await ClusterHarness.NextAsync(alice, e => e.Name == "iq" && e.GetAttribute("id") == "ping1")).GetAttribute("type"));

        await alice.SendAsync("<iq to='bob7@localhost/nobody' type='get' id='ping2'><ping xmlns='urn:xmpp:ping'/></iq>");
        var error = await ClusterHarness.NextAsync(alice, e => e.Name == "iq" && e.GetAttribute("id") == "ping2");
        Assert.NotNull(error.Child("error", "jabber:client")?.Child("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas"));
    }

    [Fact]
    public async Task The_newest_bind_of_a_full_jid_wins_on_every_node()
    {
        var first = await cluster.OnlineAsync(0, "erin8", "phone");
        var second = await cluster.BindAsync(2, "erin8", "phone");

        await ClusterHarness.WaitAsync(() => first.ClosedWith == "conflict", "the older session closed with conflict");
        Assert.Null(second.ClosedWith);
        await ClusterHarness.WaitAsync(() => cluster[0].Xmpp.Router.Sessions.Find(first.Jid) is null, "node 1 unbound the old session");
        await cluster.WaitForRouteAsync(second.Jid);

        var alice = await cluster.OnlineAsync(1, "alice8", "phone");
        await alice.SendAsync($"<message to='{second.Jid}' type='chat'><body>to the new one</body></message>");
        await ClusterHarness.NextAsync(second, e => e.Name == "message");
    }

    [Fact]
    public async Task Simultaneous_binds_of_one_full_jid_leave_exactly_one_session()
    {
        var binds = await Task.WhenAll(cluster.BindAsync(0, "frank9", "same"), cluster.BindAsync(1, "frank9", "same"), cluster.BindAsync(2, "frank9", "same"));

        await ClusterHarness.WaitAsync(() => binds.Count(b => b.ClosedWith is null) == 1, "exactly one survivor");
        var survivor = binds.Single(b => b.ClosedWith is null);
        Assert.All(binds.Where(b => b != survivor), b => Assert.Equal("conflict", b.ClosedWith));
        var owner = Array.IndexOf(binds, survivor);
        await ClusterHarness.WaitAsync(
            () => Enumerable.Range(0, 3).All(i => i == owner ? cluster[i].Xmpp.Router.Sessions.Find(survivor.Jid) == survivor.Session
                : cluster[i].Xmpp.Router.Sessions.Find(survivor.Jid) is null && cluster[i].Xmpp.Router.Remote.Find(survivor.Jid) is not null),
            "every node agrees on the survivor");
    }

    [Fact]
    public async Task Removing_an_account_ends_its_sessions_on_every_node()
    {
        var here = await cluster.OnlineAsync(0, "bob12", "phone");
        var there = await cluster.OnlineAsync(1, "bob12", "laptop");
        var elsewhere = await cluster.OnlineAsync(2, "bob12", "desk");
        var other = await cluster.OnlineAsync(1, "alice12", "phone");

        await here.SendAsync("<iq type='set' id='bye'><query xmlns='jabber:iq:register'><remove/></query></iq>");

        Assert.Equal("result", (await ClusterHarness.NextAsync(here, e => e.GetAttribute("id") == "bye")).GetAttribute("type"));
        await ClusterHarness.WaitAsync(
            () => new[] { here, there, elsewhere }.All(c => c.ClosedWith == "not-authorized"),
            "every session of the removed account closed with not-authorized");
        Assert.Null(other.ClosedWith);
    }

    [Fact]
    public async Task A_node_that_leaves_takes_its_routes_and_its_users_presence_with_it()
    {
        var alice = await cluster.OnlineAsync(0, "alice10", "phone");
        var bob = await cluster.OnlineAsync(1, "bob10", "laptop");
        await ClusterHarness.SubscribeBothWaysAsync(alice, bob);

        await cluster.StopNodeAsync(1);

        var gone = await ClusterHarness.NextAsync(alice, e => e.Name == "presence" && e.GetAttribute("from") == bob.Jid.ToString());
        Assert.Equal("unavailable", gone.GetAttribute("type"));
        await ClusterHarness.WaitAsync(() => cluster[0].Xmpp.Router.Remote.Find(bob.Jid) is null, "bob's route purged");
        Assert.Equal(MembershipState.Active, cluster[0].Cluster.State);
    }

    [Fact]
    public async Task A_node_that_leaves_takes_back_the_directed_presence_its_users_sent()
    {
        var alice = await cluster.OnlineAsync(0, "alice13", "phone");
        var carol = await cluster.OnlineAsync(1, "carol13", "laptop");
        var bob = await cluster.OnlineAsync(1, "bob13", "desk");
        await ClusterHarness.SubscribeBothWaysAsync(alice, bob);

        // Carol is no contact of Alice's: only her directed presence tells Alice she is there. Bob is both.
        await carol.SendAsync($"<presence to='{alice.Jid}'/>");
        await bob.SendAsync($"<presence to='{alice.Jid}'/>");
        await ClusterHarness.NextAsync(alice, e => e.Name == "presence" && e.GetAttribute("from") == carol.Jid.ToString());
        alice.Take();

        await cluster.StopNodeAsync(1);

        var carolGone = await ClusterHarness.NextAsync(alice, e => e.Name == "presence" && e.GetAttribute("from") == carol.Jid.ToString());
        Assert.Equal(("unavailable", alice.Jid.ToString()), (carolGone.GetAttribute("type"), carolGone.GetAttribute("to")));
        await ClusterHarness.NextAsync(alice, e => e.Name == "presence" && e.GetAttribute("from") == bob.Jid.ToString() && e.GetAttribute("type") == "unavailable");
        await Task.Delay(300);
        Assert.DoesNotContain(alice.Take(), e => e.Name == "presence" && e.GetAttribute("from") is { } from && (from == bob.Jid.ToString() || from == carol.Jid.ToString()));
    }

    [Fact]
    public async Task A_node_whose_session_expired_closes_its_streams_refuses_new_ones_and_rejoins()
    {
        var alice = await cluster.OnlineAsync(0, "alice11", "phone");
        var bob = await cluster.OnlineAsync(1, "bob11", "laptop");
        await ClusterHarness.SubscribeBothWaysAsync(alice, bob);

        // Take the node's session over from another client and close it: the servers expire it at once.
        var session = cluster[0].Cluster.Membership!.CurrentClient!;
        await using (await ZooKeeperClient.ConnectAsync(new ZooKeeperClientOptions
        {
            ConnectString = server.ConnectString,
            SessionId = session.SessionId,
            SessionPassword = session.SessionPassword,
            SessionTimeout = TimeSpan.FromSeconds(4),
        }))
        {
        }

        // Its peers see it leave: its users go offline for their contacts.
        Assert.Equal("unavailable", (await ClusterHarness.NextAsync(bob, e => e.Name == "presence" && e.GetAttribute("from") == alice.Jid.ToString())).GetAttribute("type"));
        await ClusterHarness.WaitAsync(() => alice.ClosedWith == "reset", "the fenced node's stream closed with reset");

        // It registers again with a new session and routes as a member. Clients connecting over TCP are refused
        // until it has its peers' sessions again; this in-process one binds directly, so it waits for that itself.
        await ClusterHarness.WaitAsync(
            () => cluster[0].Cluster.State == MembershipState.Active && cluster[0].Cluster.Membership!.SessionId != session.SessionId
                && cluster[0].Xmpp.Router.Remote.Find(bob.Jid) is not null,
            "the node rejoined and has its peers' sessions again");
        var again = await cluster.OnlineAsync(0, "alice11", "tablet");
        Assert.Equal("available", (await ClusterHarness.NextAsync(bob, e => e.Name == "presence" && e.GetAttribute("from") == again.Jid.ToString())).GetAttribute("type") ?? "available");
    }
}
