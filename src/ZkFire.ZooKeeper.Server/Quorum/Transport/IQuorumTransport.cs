using System.Threading.Channels;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// The links between ensemble members: best-effort election messages on the election port, and ordered,
/// authenticated learner links on the quorum port. Every message that comes out of it was sent by the configured
/// member whose id it carries; anything else was refused before it got here. The real transport runs on DotNetty;
/// tests use a simulated one that drops, delays, reorders and partitions.
/// </summary>
internal interface IQuorumTransport : IAsyncDisposable
{
    /// <summary>Binds the election and quorum ports of this member.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Sends an election notification to member <paramref name="to"/>, connecting when needed. Best effort: a
    /// message to an unreachable member is dropped (election re-sends), and messages may arrive out of order.
    /// </summary>
    void SendElection(long to, Notification notification);

    /// <summary>Election notifications from other members.</summary>
    ChannelReader<ElectionEnvelope> ElectionInbox { get; }

    /// <summary>Leader side: learners that connected to this member's quorum port and authenticated.</summary>
    ChannelReader<IPeerLink> AcceptedLearners { get; }

    /// <summary>
    /// Learner side: an ordered link to member <paramref name="leader"/>'s quorum port.
    /// </summary>
    /// <exception cref="IOException">The member cannot be reached or refused to authenticate this one.</exception>
    Task<IPeerLink> ConnectAsync(long leader, CancellationToken cancellationToken);
}

/// <summary>An election notification and the member that sent it.</summary>
internal readonly record struct ElectionEnvelope(long From, Notification Notification);

/// <summary>
/// One ordered, reliable link between two members (TCP's guarantees: what arrives, arrives in order and without
/// gaps; a failure closes the link for good).
/// </summary>
internal interface IPeerLink : IAsyncDisposable
{
    /// <summary>The authenticated myid of the member at the other end.</summary>
    long PeerId { get; }

    /// <summary>Queues a message; completes when the link can take more (back-pressure).</summary>
    /// <exception cref="IOException">The link is closed.</exception>
    ValueTask SendAsync(QuorumMessage message, CancellationToken cancellationToken);

    /// <summary>The next message, in order.</summary>
    /// <exception cref="IOException">The link closed (by either side, or a failure).</exception>
    ValueTask<QuorumMessage> ReceiveAsync(CancellationToken cancellationToken);
}
