using System.Text;
using Xunit.Abstractions;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;
using ZkFire.ZooKeeper.Server.Tests.Quorum.History;
using ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum;

/// <summary>Targeted situations of an in-process ensemble over the simulated network.</summary>
[Collection(EnsembleCollection.Name)]
public sealed class EnsembleScenarioTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_write_through_one_member_is_read_through_every_other()
    {
        await using var ensemble = await TestEnsemble.StartAsync(3, new SimulatedNetwork(1), output: output);
        var leader = await ensemble.WaitAllServingAsync(Settle);
        var follower = ensemble.Ids.First(id => id != leader);

        await using (var zk = await ConnectAsync(ensemble.ConnectString(follower)))
        {
            await zk.CreateAsync("/hello", "world"u8.ToArray(), WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent);
        }

        foreach (var id in ensemble.Ids)
        {
            await using var zk = await ConnectAsync(ensemble.ConnectString(id));
            await zk.SyncAsync("/hello");
            Assert.Equal("world", Encoding.UTF8.GetString((await zk.GetDataAsync("/hello")).Data!));
        }
    }

    [Fact]
    public async Task A_leader_crash_under_load_loses_no_acknowledged_write()
    {
        await using var ensemble = await TestEnsemble.StartAsync(3, new SimulatedNetwork(2), output: output);
        var leader = await ensemble.WaitAllServingAsync(Settle);
        await using (var zk = await ConnectAsync(ensemble.ConnectString()))
        {
            await zk.CreateAsync("/acked", [], WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent);
        }

        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 3).Select(client => Task.Run(() => WriteUniqueAsync(ensemble.ConnectString(), client, stop.Token))).ToList();
        await Task.Delay(800);
        await ensemble.CrashAsync(leader);
        await Task.Delay(1500);
        await ensemble.RestartAsync(leader);
        await Task.Delay(500);
        await stop.CancelAsync();
        var acked = (await Task.WhenAll(writers)).SelectMany(names => names).ToList();
        await ensemble.WaitAllServingAsync(Settle);

        var finals = new Dictionary<long, IReadOnlyDictionary<string, IReadOnlyCollection<string>>>();
        foreach (var id in ensemble.Ids)
        {
            await using var zk = await ConnectAsync(ensemble.ConnectString(id));
            await zk.SyncAsync("/acked");
            finals[id] = new Dictionary<string, IReadOnlyCollection<string>> { ["/acked"] = [.. await zk.GetChildrenAsync("/acked")] };
        }

        Assert.NotEmpty(acked);
        var check = ReplicaInvariants.AcknowledgedWritesPresent(new Dictionary<string, IReadOnlyCollection<string>> { ["/acked"] = acked }, finals);
        Assert.True(check.IsOk, check.Explanation);
    }

    [Fact]
    public async Task A_minority_cannot_write_while_the_majority_serves()
    {
        await using var ensemble = await TestEnsemble.StartAsync(3, new SimulatedNetwork(3), output: output);
        var leader = await ensemble.WaitAllServingAsync(Settle);
        var minority = ensemble.Ids.First(id => id != leader);
        var majority = ensemble.Ids.Where(id => id != minority).ToArray();
        await using var cut = await ConnectAsync(ensemble.ConnectString(minority));
        await cut.CreateAsync("/m", [], WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent);

        ensemble.Network.Partition([minority], majority, breakLinks: false);
        await WaitUntilAsync(() => ensemble.Server(minority).Mode == "looking");

        var refused = await Assert.ThrowsAsync<KeeperException>(() => cut.SetDataAsync("/m", "minority"u8.ToArray()));
        Assert.Equal(ErrorCode.ConnectionLoss, refused.Code);
        await using (var zk = await ConnectAsync(ensemble.ConnectString(majority)))
        {
            await zk.SetDataAsync("/m", "majority"u8.ToArray());
        }

        ensemble.Network.Heal();
        await ensemble.WaitAllServingAsync(Settle);
        foreach (var id in ensemble.Ids)
        {
            await using var zk = await ConnectAsync(ensemble.ConnectString(id));
            await zk.SyncAsync("/m");
            var (data, stat) = await zk.GetDataAsync("/m");
            Assert.Equal("majority", Encoding.UTF8.GetString(data!));
            Assert.Equal(1, stat.Version);
        }
    }

    [Fact]
    public async Task A_follower_restarted_behind_is_sent_the_difference()
    {
        await using var ensemble = await TestEnsemble.StartAsync(3, new SimulatedNetwork(4), output: output);
        var leader = await ensemble.WaitAllServingAsync(Settle);
        var behind = ensemble.Ids.First(id => id != leader);
        await CreateAsync(ensemble.ConnectString(), "/before");
        await ensemble.StopAsync(behind);
        await CreateAsync(ensemble.ConnectString(leader), "/while-down");

        await ensemble.RestartAsync(behind);
        leader = await ensemble.WaitAllServingAsync(Settle);

        Assert.Contains(ensemble.LogLines(leader), line => line.StartsWith($"Syncing member {behind} by Diff", StringComparison.Ordinal));
        await AssertHoldsAsync(ensemble.ConnectString(behind), "/before", "/while-down");
        await AssertLogsAgreeAsync(ensemble);
    }

    [Fact]
    public async Task A_member_that_logged_what_was_never_committed_is_truncated()
    {
        await using var ensemble = await TestEnsemble.StartAsync(3, new SimulatedNetwork(5), output: output);
        var old = await ensemble.WaitAllServingAsync(Settle);
        var others = ensemble.Ids.Where(id => id != old).ToArray();
        await CreateAsync(ensemble.ConnectString(), "/before");
        await using var stranded = await ConnectAsync(ensemble.ConnectString(old));

        // The leader logs a proposal nobody else receives, loses its quorum, and crashes.
        ensemble.Network.Partition([old], others, breakLinks: false);
        var lost = stranded.CreateAsync("/lost", [], WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent);
        await WaitUntilAsync(() => ensemble.Server(old).Mode == "looking" && ensemble.Leaders().Count == 1);
        await ensemble.CrashAsync(old);
        await Assert.ThrowsAnyAsync<Exception>(() => lost);
        await CreateAsync(ensemble.ConnectString(others), "/after");

        ensemble.Network.Heal();
        await ensemble.RestartAsync(old);
        var leader = await ensemble.WaitAllServingAsync(Settle);

        Assert.Contains(ensemble.LogLines(leader), line => line.StartsWith($"Syncing member {old} by Trunc", StringComparison.Ordinal));
        await AssertHoldsAsync(ensemble.ConnectString(old), "/before", "/after");
        await using (var zk = await ConnectAsync(ensemble.ConnectString(old)))
        {
            Assert.Null(await zk.ExistsAsync("/lost"));
        }

        await AssertLogsAgreeAsync(ensemble);
    }

    [Fact]
    public async Task A_member_without_a_usable_log_is_sent_a_snapshot()
    {
        await using var ensemble = await TestEnsemble.StartAsync(3, new SimulatedNetwork(6), o => o.SnapCount = 10, output: output);
        var leader = await ensemble.WaitAllServingAsync(Settle);
        var wiped = ensemble.Ids.First(id => id != leader);
        await ensemble.StopAsync(wiped);
        var paths = Enumerable.Range(0, 30).Select(i => $"/n{i}").ToArray();
        foreach (var path in paths)
        {
            await CreateAsync(ensemble.ConnectString(leader), path);
        }

        // A replaced disk: nothing the leader's log could continue from.
        Directory.Delete(ensemble.DataDir(wiped), recursive: true);
        await ensemble.RestartAsync(wiped);
        leader = await ensemble.WaitAllServingAsync(Settle);

        Assert.Contains(ensemble.LogLines(leader), line => line.StartsWith($"Syncing member {wiped} by Snap", StringComparison.Ordinal));
        await AssertHoldsAsync(ensemble.ConnectString(wiped), paths);
    }

    /// <summary>Creates /acked/{client}-{n} until stopped; returns the names whose creation was acknowledged.</summary>
    private static async Task<List<string>> WriteUniqueAsync(string connectString, int client, CancellationToken stop)
    {
        var acked = new List<string>();
        await using var zk = await ConnectAsync(connectString);
        for (var n = 0; !stop.IsCancellationRequested; n++)
        {
            try
            {
                await zk.CreateAsync($"/acked/{client}-{n}", [], WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent, cancellationToken: CancellationToken.None);
                acked.Add($"{client}-{n}");
            }
            catch (KeeperException)
            {
                // Unknown outcome (connection loss while the leader is gone): not acknowledged, so not checked.
                await Task.Delay(20, CancellationToken.None);
            }
        }

        return acked;
    }

    private static async Task CreateAsync(string connectString, string path)
    {
        await using var zk = await ConnectAsync(connectString);
        await zk.CreateAsync(path, [], WellKnownAcls.OpenAclUnsafe, CreateMode.Persistent);
    }

    private static async Task AssertHoldsAsync(string connectString, params string[] paths)
    {
        await using var zk = await ConnectAsync(connectString);
        await zk.SyncAsync("/");
        foreach (var path in paths)
        {
            Assert.True(await zk.ExistsAsync(path) is not null, $"{path} is missing on {connectString}");
        }
    }

    private static async Task AssertLogsAgreeAsync(TestEnsemble ensemble)
    {
        var logs = (await ensemble.StopAllAndReadLogsAsync())
            .ToDictionary(m => m.Key, m => (IReadOnlyList<(long Zxid, byte[] Txn)>)[.. m.Value.Select(t => (t.Zxid, t.Txn))]);
        var prefixes = ReplicaInvariants.LogsArePrefixes(logs);
        Assert.True(prefixes.IsOk, prefixes.Explanation);
        var unique = ReplicaInvariants.OneTransactionPerZxid(logs);
        Assert.True(unique.IsOk, unique.Explanation);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Settle);
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    private static async Task<ZooKeeperClient> ConnectAsync(string connectString)
    {
        using var timeout = new CancellationTokenSource(Settle);
        return await ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectString = connectString, SessionTimeout = TimeSpan.FromSeconds(5) }, timeout.Token);
    }
}
