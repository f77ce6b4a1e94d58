using System.Text;
using Xunit.Abstractions;
using ZkFire.Jute;
using ZkFire.ZooKeeper.Client;
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

    private static async Task<ZooKeeperClient> ConnectAsync(string connectString)
    {
        using var timeout = new CancellationTokenSource(Settle);
        return await ZooKeeperClient.ConnectAsync(
            new ZooKeeperClientOptions { ConnectString = connectString, SessionTimeout = TimeSpan.FromSeconds(5) }, timeout.Token);
    }
}
