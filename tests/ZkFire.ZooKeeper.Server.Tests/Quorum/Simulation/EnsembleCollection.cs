namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>
/// The in-process ensemble tests run one at a time: each keeps several members busy, and timeouts of a few ticks
/// do not survive sharing two cores with another ensemble.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EnsembleCollection
{
    public const string Name = "In-process ensembles";
}
