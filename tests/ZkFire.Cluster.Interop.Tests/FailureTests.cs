using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace ZkFire.Cluster.Interop.Tests;

/// <summary>
/// Failure behaviour (issue 5, item 5), each test on a cluster of its own since it brings nodes down: a node
/// crash, a node that loses its ZooKeeper session (fencing), and the loss of the quorum. The scenarios signal the
/// nodes themselves (by the pids they are given) so their clients stay connected throughout; restarts happen here,
/// between a scenario and the next.
/// </summary>
public sealed class FailureTests(ITestOutputHelper output) : ClusterTest(output)
{
    private static readonly TimeSpan FailureScenarioTimeout = TimeSpan.FromSeconds(90);

    [SkippableTheory]
    [InlineData(Coordination.Embedded)]
    [InlineData(Coordination.ApacheZooKeeper)]
    public async Task Crashed_node_users_go_unavailable_within_the_session_timeout_and_leave_no_ghost_after_restart(Coordination coordination)
    {
        await using var cluster = await StartAsync(coordination);
        var users = await NewUsersAsync(cluster, 2);
        const int victim = 2;

        var crash = await RunAsync(cluster, "node_crash.py", users, extra: new JsonObject { ["victim"] = victim }, timeout: FailureScenarioTimeout);
        Output.WriteLine($"Unavailable presence {crash["seconds_to_unavailable"]} s after the kill.");
        await cluster.HealAsync();
        await RunAsync(cluster, "no_ghost.py", users, extra: new JsonObject { ["restarted"] = victim }, timeout: FailureScenarioTimeout);
    }

    [SkippableFact]
    public async Task Node_whose_session_expired_closes_its_streams_with_a_stream_error_and_rejoins()
    {
        await using var cluster = await StartAsync(Coordination.Embedded);

        var result = await RunAsync(cluster, "fencing.py", users: await NewUsersAsync(cluster, 2),
            extra: new JsonObject { ["victim"] = 2 }, timeout: FailureScenarioTimeout);

        Output.WriteLine($"Fenced streams closed with <{result["stream_error"]}/>; peers saw the user unavailable after " +
            $"{result["seconds_to_unavailable"]} s; login again after {result["seconds_to_login_again"]} s (refusals: {result["refusals_before_login"]}).");
    }

    [SkippableFact]
    public async Task Quorum_loss_closes_streams_and_refuses_logins_until_the_quorum_returns_and_loses_no_acknowledged_message()
    {
        await using var cluster = await StartAsync(Coordination.Embedded);
        var users = await NewUsersAsync(cluster, 2);
        const int survivor = 1;

        // The survivor's member needs up to syncLimit × tickTime (5 s) to notice the lost quorum before its session starts to run out.
        var loss = await RunAsync(cluster, "quorum_loss.py", users, extra: new JsonObject { ["survivor"] = survivor, ["margin"] = 15 },
            timeout: FailureScenarioTimeout);
        Output.WriteLine($"Survivor kept the client {loss["seconds_connected"]} s, closed it with <{loss["stream_error"]}/>, " +
            $"refused a new login with <{loss["login_refusal"]}/>.");
        Assert.Equal("system-shutdown", loss["login_refusal"]);

        await cluster.HealAsync();
        var acknowledged = JsonNode.Parse(loss.Json.GetProperty("acknowledged").GetRawText());
        await RunAsync(cluster, "offline_after_recovery.py", users,
            extra: new JsonObject { ["acknowledged"] = acknowledged, ["node"] = 2 }, timeout: FailureScenarioTimeout);
    }

    private async Task<ZkFireCluster> StartAsync(Coordination coordination)
    {
        Prerequisites.Require(ZkFireCluster.WhyUnavailable(coordination));
        await Slixmpp.RequireAsync();
        var cluster = await ZkFireCluster.StartAsync(coordination, $"{coordination.ToString().ToLowerInvariant()} cluster (failure test)");
        Watch(cluster);
        return cluster;
    }
}
