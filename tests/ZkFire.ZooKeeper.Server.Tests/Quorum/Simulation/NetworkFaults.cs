namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>
/// What the simulated network does to each message, drawn from the sending member's seeded random source.
/// Probabilities run from 0 to 1.
/// </summary>
internal sealed record NetworkFaults
{
    /// <summary>A perfect network: everything arrives at once, in order.</summary>
    public static NetworkFaults None { get; } = new();

    /// <summary>An election notification is lost.</summary>
    public double ElectionDrop { get; init; }

    /// <summary>An election notification arrives late (up to <see cref="MaxElectionDelay"/>), so possibly after later ones.</summary>
    public double ElectionDelay { get; init; }

    public TimeSpan MaxElectionDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// A link message arrives late (up to <see cref="MaxLinkDelay"/>); the messages behind it wait for it, as behind
    /// a TCP retransmission.
    /// </summary>
    public double LinkDelay { get; init; }

    public TimeSpan MaxLinkDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Sending a link message breaks the link instead (both ends see <see cref="IOException"/>).</summary>
    public double LinkBreak { get; init; }
}
