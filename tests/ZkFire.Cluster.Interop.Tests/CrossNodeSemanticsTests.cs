using System.Globalization;
using Xunit.Abstractions;

namespace ZkFire.Cluster.Interop.Tests;

/// <summary>
/// Users logged in to different nodes talk exactly as on one server (issue 5, item 4): the same slixmpp scenarios,
/// with each client on the node the script names. See clients/*.py for the exact steps and RFC 6120/6121 rules.
/// </summary>
public abstract class CrossNodeSemanticsTests(SharedClusterFixture fixture, Placement placement, ITestOutputHelper output) : ClusterTest(output)
{
    [SkippableFact]
    public async Task Messages_to_full_and_bare_jids_cross_nodes_both_ways() =>
        await RunAsync("message.py", users: 2);

    [SkippableFact]
    public async Task Bare_jid_message_goes_to_the_highest_priority_and_an_unbound_full_jid_falls_back_to_the_bare_jid() =>
        await RunAsync("bare_jid_priority.py", users: 2);

    [SkippableFact]
    public async Task Offline_message_is_delivered_when_the_recipient_logs_in_on_another_node()
    {
        var result = await RunAsync("offline_delivery.py", users: 2);

        var stamp = DateTimeOffset.Parse(result["delay_stamp"], CultureInfo.InvariantCulture);
        Assert.InRange(stamp, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [SkippableFact]
    public async Task Subscription_handshake_between_nodes_updates_both_rosters()
    {
        var result = await RunAsync("roster_subscription.py", users: 2);

        Assert.Equal(("both", "both"), (result["after_mutual", "a"], result["after_mutual", "b"]));
    }

    [SkippableFact]
    public async Task Presence_broadcast_probes_and_own_resources_across_nodes() =>
        await RunAsync("presence_across_nodes.py", users: 2);

    [SkippableFact]
    public async Task Abrupt_disconnect_on_one_node_is_broadcast_to_a_subscriber_on_another() =>
        await RunAsync("presence_abrupt_disconnect.py", users: 2);

    [SkippableFact]
    public async Task Roster_changes_are_pushed_to_the_users_resource_on_another_node() =>
        await RunAsync("roster_push_across_nodes.py", users: 2);

    [SkippableFact]
    public async Task Iq_to_a_full_jid_on_another_node_is_answered_by_that_client() =>
        await RunAsync("iq_across_nodes.py", users: 2);

    [SkippableFact]
    public async Task Binding_a_full_jid_bound_on_another_node_kicks_the_old_session_with_conflict()
    {
        var result = await RunAsync("resource_conflict.py", users: 2);

        Assert.Equal("conflict", result["old_session_error"]);
    }

    [SkippableFact]
    public async Task Simultaneous_binds_of_one_full_jid_on_two_nodes_leave_exactly_one_session() =>
        await RunAsync("simultaneous_bind.py", users: 2);

    private async Task<ScenarioResult> RunAsync(string script, int users) =>
        await RunAsync(await fixture.RequireAsync(), script, users, placement);
}

[Collection(EmbeddedClusterCollection.Name)]
public sealed class EmbeddedClusterSemanticsTests(EmbeddedClusterFixture fixture, ITestOutputHelper output)
    : CrossNodeSemanticsTests(fixture, Placement.AcrossNodes, output);

[Collection(ApacheZooKeeperClusterCollection.Name)]
public sealed class ApacheZooKeeperClusterSemanticsTests(ApacheZooKeeperClusterFixture fixture, ITestOutputHelper output)
    : CrossNodeSemanticsTests(fixture, Placement.AcrossNodes, output);

/// <summary>
/// The same scenarios with every client on one node of the cluster: proves the scenarios' expectations (they hold
/// on a single server) apart from the cluster layer, and that a clustered node serves its own users.
/// </summary>
[Collection(EmbeddedClusterCollection.Name)]
public sealed class OneNodeOfClusterSemanticsTests(EmbeddedClusterFixture fixture, ITestOutputHelper output)
    : CrossNodeSemanticsTests(fixture, Placement.OneNode, output);
