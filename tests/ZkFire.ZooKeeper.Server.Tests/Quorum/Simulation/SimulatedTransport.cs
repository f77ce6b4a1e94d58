using System.Threading.Channels;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>One member's view of a <see cref="SimulatedNetwork"/>, alive from its join until it dies or joins again.</summary>
internal sealed class SimulatedTransport : IQuorumTransport
{
    /// <summary>Notifications a member has not read yet; beyond that the oldest go, as a full socket buffer drops them.</summary>
    private const int ElectionBacklog = 1024;

    private const int Created = 0;
    private const int Listening = 1;
    private const int Dead = 2;

    private readonly SimulatedNetwork network;
    private readonly Channel<ElectionEnvelope> election =
        Channel.CreateBounded<ElectionEnvelope>(new BoundedChannelOptions(ElectionBacklog) { FullMode = BoundedChannelFullMode.DropOldest });

    private readonly Channel<IPeerLink> accepted = Channel.CreateUnbounded<IPeerLink>();
    private int state;

    public SimulatedTransport(SimulatedNetwork network, long memberId, SeededRandom random)
    {
        this.network = network;
        MemberId = memberId;
        Random = random;
    }

    public long MemberId { get; }

    public SimulatedNetwork Network => network;

    /// <summary>This member's source of faults, for the messages it sends.</summary>
    public SeededRandom Random { get; }

    public bool IsAlive => Volatile.Read(ref state) != Dead;

    public bool IsListening => Volatile.Read(ref state) == Listening;

    public ChannelReader<ElectionEnvelope> ElectionInbox => election.Reader;

    public ChannelReader<IPeerLink> AcceptedLearners => accepted.Reader;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.CompareExchange(ref state, Listening, Created) == Dead)
        {
            throw new IOException($"Member {MemberId}'s transport is dead.");
        }

        return Task.CompletedTask;
    }

    public void SendElection(long to, Notification notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        network.SendElection(this, to, notification);
    }

    public Task<IPeerLink> ConnectAsync(long leader, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(network.Connect(this, leader));
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        election.Writer.TryComplete();
        accepted.Writer.TryComplete();
        return ValueTask.CompletedTask;
    }

    /// <summary>Dies on the network: links break, nothing arrives or leaves any more.</summary>
    public void Kill()
    {
        if (Interlocked.Exchange(ref state, Dead) == Dead)
        {
            return;
        }

        // Also the links accepted but not yet picked up: their connectors must see the break.
        network.Died(this);
    }

    public bool DeliverElection(ElectionEnvelope envelope) => IsAlive && election.Writer.TryWrite(envelope);

    public bool Offer(IPeerLink link) => IsListening && accepted.Writer.TryWrite(link);
}
