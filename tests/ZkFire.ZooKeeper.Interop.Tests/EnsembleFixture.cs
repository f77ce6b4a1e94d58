namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>
/// The ensembles of one test collection, started on first use (a ZkFire ensemble only when a test asks for one)
/// and stopped at the collection's end. Each test gets its ensemble healed: members a failed test left down are
/// restarted and the ensemble serves again before the test begins.
/// </summary>
public sealed class EnsembleFixture : IAsyncLifetime
{
    private readonly Dictionary<ServerKind, Task<ZooKeeperEnsemble>> _ensembles = [];
    private readonly Lock _gate = new();

    /// <summary>Skips (on CI: fails) when the kind's programs are missing; a failed start fails every test needing it.</summary>
    public async Task<ZooKeeperEnsemble> EnsembleAsync(ServerKind kind)
    {
        Prerequisites.Require(ZooKeeperServers.WhyUnavailable(kind));
        Task<ZooKeeperEnsemble> start;
        lock (_gate)
        {
            if (!_ensembles.TryGetValue(kind, out start!))
            {
                start = ZooKeeperEnsemble.StartAsync(kind, kind == ServerKind.ApacheZooKeeper ? "Apache ZooKeeper ensemble" : "ZkFire ensemble");
                _ensembles[kind] = start;
            }
        }

        var ensemble = await start;
        await ensemble.HealAsync();
        return ensemble;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var start in _ensembles.Values)
        {
            // A failed start cleaned up after itself, and the tests that needed it reported why.
            await ((Task)start).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (start.IsCompletedSuccessfully)
            {
                await start.Result.DisposeAsync();
            }
        }
    }
}

/// <summary>Clients that work against healthy ensembles: nothing is killed, so no session outlives its test.</summary>
[CollectionDefinition(Name)]
public sealed class EnsembleClientsCollection : ICollectionFixture<EnsembleFixture>
{
    public const string Name = "ZooKeeper ensembles: clients";
}

/// <summary>
/// Members killed under clients. Apart from <see cref="EnsembleClientsCollection"/>, whose zxid-exact comparisons a
/// session left to expire by a killed test could shift.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EnsembleFaultsCollection : ICollectionFixture<EnsembleFixture>
{
    public const string Name = "ZooKeeper ensembles: member crashes";
}
