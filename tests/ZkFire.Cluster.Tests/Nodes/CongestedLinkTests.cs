using ZkFire.Cluster.Tests.Membership;
using ZkFire.Xmpp.Tests.Routing;
using ZkFire.ZooKeeper.Client.Tests;

namespace ZkFire.Cluster.Tests.Nodes;

/// <summary>
/// A stanza for a session on a node whose notice queue is full (its link slow or hung): its sender waits for room,
/// and what still cannot be queued is answered or routed as an undeliverable stanza, never dropped in silence.
/// </summary>
[Collection(ZkFireServerCollection.Name)]
public sealed class CongestedLinkTests(ZkFireServerFixture server)
{
    [Fact]
    public async Task A_stanza_for_a_congested_node_waits_for_room_and_arrives_in_order()
    {
        await using var cluster = await ClusterHarness.StartAsync(server.ConnectString, 2, forwardWait: TimeSpan.FromMinutes(1));
        var (alice, bob) = await CloggedPairAsync(cluster);

        var first = alice.SendAsync($"<message to='{bob.Jid}' type='chat' id='m1'><body>one</body></message>");
        await ClusterHarness.WaitAsync(() => cluster[0].Channel.Waiting == 1, "the message waiting for room");
        Assert.False(first.IsCompleted);
        cluster[0].Channel.Unclog(cluster[1].Id);
        await first;
        await alice.SendAsync($"<message to='{bob.Jid}' type='chat' id='m2'><body>two</body></message>");

        Assert.Equal("m1", (await ClusterHarness.NextAsync(bob, e => e.Name == "message")).GetAttribute("id"));
        Assert.Equal("m2", (await ClusterHarness.NextAsync(bob, e => e.Name == "message")).GetAttribute("id"));
        Assert.DoesNotContain(alice.Take(), e => e.Name == "message");
    }

    [Fact]
    public async Task A_stanza_that_finds_no_room_in_time_is_answered_with_an_error_unless_it_is_presence()
    {
        await using var cluster = await ClusterHarness.StartAsync(server.ConnectString, 2, forwardWait: TimeSpan.FromMilliseconds(100));
        var (alice, bob) = await CloggedPairAsync(cluster);

        await alice.SendAsync($"<presence to='{bob.Jid}'/>");
        await alice.SendAsync($"<message to='{bob.Jid}' type='chat' id='m1'><body>lost?</body></message>");
        await alice.SendAsync($"<iq to='{bob.Jid}' type='get' id='q1'><query xmlns='jabber:iq:version'/></iq>");

        var message = await ClusterHarness.NextAsync(alice, e => e.Name == "message");
        var iq = await ClusterHarness.NextAsync(alice, e => e.Name == "iq" && e.GetAttribute("id") == "q1");
        foreach (var (error, id) in new[] { (message, "m1"), (iq, "q1") })
        {
            Assert.Equal(("error", id, bob.Jid.ToString()), (error.GetAttribute("type"), error.GetAttribute("id"), error.GetAttribute("from")));
            var condition = error.Child("error", "jabber:client")!;
            Assert.Equal("wait", condition.GetAttribute("type"));
            Assert.NotNull(condition.Child("resource-constraint", "urn:ietf:params:xml:ns:xmpp-stanzas"));
        }

        Assert.DoesNotContain(alice.Take(), e => e.Name == "presence" && e.GetAttribute("type") == "error");
    }

    [Fact]
    public async Task A_message_waiting_for_a_node_that_leaves_is_kept_offline_as_for_any_gone_recipient()
    {
        await using var cluster = await ClusterHarness.StartAsync(server.ConnectString, 2, forwardWait: TimeSpan.FromMinutes(1));
        var (alice, bob) = await CloggedPairAsync(cluster);

        var waiting = alice.SendAsync($"<message to='{bob.Jid}' type='chat' id='m1'><body>later</body></message>");
        await ClusterHarness.WaitAsync(() => cluster[0].Channel.Waiting == 1, "the message waiting for room");
        await cluster.StopNodeAsync(1);
        await waiting;

        var again = await cluster.OnlineAsync(0, "bob", "tablet");
        Assert.Equal("later", (await ClusterHarness.NextAsync(again, e => e.Name == "message")).Child("body", "jabber:client")?.Text);
        Assert.DoesNotContain(alice.Take(), e => e.Name == "message");
    }

    /// <summary>Alice on the first node, Bob on the second, and the first node's queue to the second full.</summary>
    private static async Task<(TestClient Alice, TestClient Bob)> CloggedPairAsync(ClusterHarness cluster)
    {
        var alice = await cluster.OnlineAsync(0, "alice", "phone");
        var bob = await cluster.OnlineAsync(1, "bob", "laptop");
        cluster[0].Channel.Clog(cluster[1].Id);
        return (alice, bob);
    }
}
