using System.Globalization;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

// The failure tests measure timeouts and freeze whole nodes; sharing two cores with another cluster would blur both.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace ZkFire.Cluster.Interop.Tests;

/// <summary>
/// A cluster shared by the tests of one collection, started once (only if this machine can run it) and stopped at
/// the end. Its tests never bring a node down; those that do start a cluster of their own.
/// </summary>
public abstract class SharedClusterFixture(Coordination coordination, string name) : IAsyncLifetime
{
    private string? unavailable;
    private ZkFireCluster? cluster;

    public async Task InitializeAsync()
    {
        unavailable = ZkFireCluster.WhyUnavailable(coordination);
        if (unavailable is null)
        {
            cluster = await ZkFireCluster.StartAsync(coordination, name);
        }
    }

    /// <summary>The cluster, once the test's prerequisites are known to be there (skipped locally, failed under CI=true otherwise).</summary>
    public async Task<ZkFireCluster> RequireAsync()
    {
        Prerequisites.Require(unavailable);
        await Slixmpp.RequireAsync();
        return cluster ?? throw new InvalidOperationException($"{name} has not started.");
    }

    public async Task DisposeAsync()
    {
        if (cluster is not null)
        {
            await cluster.DisposeAsync();
        }
    }
}

public sealed class EmbeddedClusterFixture() : SharedClusterFixture(Coordination.Embedded, "embedded-ensemble cluster");

public sealed class ApacheZooKeeperClusterFixture() : SharedClusterFixture(Coordination.ApacheZooKeeper, "Apache ZooKeeper cluster");

[CollectionDefinition(Name)]
public sealed class EmbeddedClusterCollection : ICollectionFixture<EmbeddedClusterFixture>
{
    public const string Name = "cluster with embedded members";
}

[CollectionDefinition(Name)]
public sealed class ApacheZooKeeperClusterCollection : ICollectionFixture<ApacheZooKeeperClusterFixture>
{
    public const string Name = "cluster on Apache ZooKeeper";
}

/// <summary>How a scenario's clients are spread: its node indexes 0-2 map to nodes 1-3, or all to node 1.</summary>
public enum Placement
{
    AcrossNodes,

    /// <summary>Every client on node 1: the scenario's expectations checked against single-node behaviour.</summary>
    OneNode,
}

/// <summary>
/// Runs slixmpp scenarios against a cluster and shows, after each test, what the nodes logged while it ran, so a
/// failure shows the servers' side too.
/// </summary>
public abstract class ClusterTest(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan DefaultScenarioTimeout = TimeSpan.FromSeconds(60);

    private readonly List<(ZkFireCluster Cluster, int[] Mark)> watched = [];

    protected ITestOutputHelper Output { get; } = output;

    /// <summary>Creates <paramref name="count"/> fresh accounts in the cluster's shared store.</summary>
    protected static async Task<IReadOnlyList<TestUser>> NewUsersAsync(ZkFireCluster cluster, int count)
    {
        var users = Enumerable.Range(0, count).Select(i => TestUser.Unique(i == 0 ? "alice" : i == 1 ? "bob" : "carol")).ToList();
        foreach (var user in users)
        {
            await cluster.AddUserAsync(user.Username, user.Password);
        }

        return users;
    }

    /// <summary>Runs a scenario with fresh accounts and fails on anything but ok.</summary>
    protected async Task<ScenarioResult> RunAsync(ZkFireCluster cluster, string script, int users, Placement placement = Placement.AcrossNodes,
        JsonObject? extra = null) =>
        await RunAsync(cluster, script, await NewUsersAsync(cluster, users), placement, extra);

    /// <summary>Runs a scenario with the given accounts (the same ones across the phases of a failure test) and fails on anything but ok.</summary>
    protected async Task<ScenarioResult> RunAsync(ZkFireCluster cluster, string script, IReadOnlyList<TestUser> users,
        Placement placement = Placement.AcrossNodes, JsonObject? extra = null, TimeSpan? timeout = null)
    {
        Watch(cluster);
        var scenarioTimeout = timeout ?? DefaultScenarioTimeout;
        var nodes = placement == Placement.OneNode ? [1] : ZkFireCluster.Ids;
        var arguments = new JsonObject
        {
            ["host"] = ZkFireCluster.LoopbackHost,
            ["port"] = cluster.C2sPort(1),
            ["nodes"] = new JsonArray([.. nodes.Select(id => new JsonObject { ["port"] = cluster.C2sPort(id) })]),
            ["domain"] = ZkFireCluster.Domain,
            ["users"] = new JsonArray([.. users.Select(u => new JsonObject { ["username"] = u.Username, ["password"] = u.Password })]),
            ["session_timeout"] = ZkFireCluster.SessionTimeout.TotalSeconds,
            ["pids"] = new JsonObject([.. ZkFireCluster.Ids.Where(cluster.IsRunning)
                .Select(id => KeyValuePair.Create<string, JsonNode?>(id.ToString(CultureInfo.InvariantCulture), cluster.ProcessId(id)))]),
            // The script gives up on its own first, so its report (not our kill) explains a hang.
            ["timeout"] = (scenarioTimeout - TimeSpan.FromSeconds(15)).TotalSeconds,
        };
        foreach (var (name, value) in extra ?? [])
        {
            arguments[name] = value?.DeepClone();
        }

        var result = await Slixmpp.RunAsync(script, arguments, scenarioTimeout);
        Output.WriteLine($"{script} {arguments.ToJsonString()}\n=> exit {result.ExitCode}: {result.Json}");
        if (result.Stderr.Length > 0)
        {
            Output.WriteLine("slixmpp stderr:\n" + result.Stderr);
        }

        Assert.True(result.Ok, $"{script} on the {cluster.Name} ({placement}) failed: {result.Error}");
        return result;
    }

    /// <summary>Adds the cluster's log from now on to this test's output.</summary>
    protected void Watch(ZkFireCluster cluster)
    {
        if (watched.All(w => w.Cluster != cluster))
        {
            watched.Add((cluster, cluster.LogMark()));
        }
    }

    public void Dispose()
    {
        foreach (var (cluster, mark) in watched)
        {
            var log = cluster.LogSince(mark);
            Output.WriteLine(log.Length == 0 ? $"({cluster.Name} logged nothing during this test)" : $"{cluster.Name} log during this test:\n{log}");
        }

        GC.SuppressFinalize(this);
    }
}
