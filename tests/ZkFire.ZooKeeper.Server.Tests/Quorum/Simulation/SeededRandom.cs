namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>A <see cref="Random"/> shared by the threads of one member (Random itself is not thread-safe).</summary>
internal sealed class SeededRandom(int seed)
{
    private readonly Lock gate = new();
    private readonly Random random = new(seed);

    /// <summary>True with the given probability; a probability of 0 draws nothing, so a quiet network keeps its sequence.</summary>
    public bool Chance(double probability)
    {
        if (probability <= 0)
        {
            return false;
        }

        lock (gate)
        {
            return random.NextDouble() < probability;
        }
    }

    /// <summary>A delay from 0 to <paramref name="max"/>.</summary>
    public TimeSpan Delay(TimeSpan max)
    {
        lock (gate)
        {
            return max * random.NextDouble();
        }
    }

    public int Next(int maxExclusive)
    {
        lock (gate)
        {
            return random.Next(maxExclusive);
        }
    }
}
