using System.Diagnostics;
using System.Threading.Channels;
using Google.Protobuf;
using ZkFire.ZooKeeper.Server.Quorum.Messages;
using ZkFire.ZooKeeper.Server.Quorum.Transport;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>
/// A simulated TCP connection between a learner (the connector) and a leader (the acceptor): two bounded FIFO
/// directions of serialized messages. A break loses what is in flight and fails both ends; an end that closes lets
/// the other read what was already sent, then fail.
/// </summary>
internal sealed class SimulatedConnection
{
    private readonly SimulatedNetwork network;
    private readonly TaskCompletionSource broken = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public SimulatedConnection(SimulatedNetwork network, SimulatedTransport connector, SimulatedTransport acceptor)
    {
        this.network = network;
        Connector = connector;
        Acceptor = acceptor;
        var toAcceptor = new Direction(network.LinkCapacity);
        var toConnector = new Direction(network.LinkCapacity);
        ConnectorEnd = new End(this, connector, acceptor.MemberId, toAcceptor, toConnector);
        AcceptorEnd = new End(this, acceptor, connector.MemberId, toConnector, toAcceptor);
    }

    public SimulatedTransport Connector { get; }

    public SimulatedTransport Acceptor { get; }

    public IPeerLink ConnectorEnd { get; }

    public IPeerLink AcceptorEnd { get; }

    public bool IsBroken => broken.Task.IsCompleted;

    public bool Touches(long memberId) => Connector.MemberId == memberId || Acceptor.MemberId == memberId;

    public bool Joins(long a, long b) =>
        (Connector.MemberId == a && Acceptor.MemberId == b) || (Connector.MemberId == b && Acceptor.MemberId == a);

    public void Break()
    {
        if (!broken.TrySetResult())
        {
            return;
        }

        var failure = new IOException($"The link between members {Connector.MemberId} and {Acceptor.MemberId} broke.");
        ((End)ConnectorEnd).Fail(failure);
        ((End)AcceptorEnd).Fail(failure);
        network.Broke(this);
    }

    private readonly record struct Frame(byte[] Bytes, long DeliverAt);

    /// <summary>One way of the connection: frames in order, each not readable before its delivery time.</summary>
    private sealed class Direction(int capacity)
    {
        private readonly Lock gate = new();
        private long lastDeliverAt;

        public Channel<Frame> Frames { get; } = Channel.CreateBounded<Frame>(new BoundedChannelOptions(capacity) { SingleReader = false });

        /// <summary>A delivery time no earlier than the previous frame's, so a delayed frame holds back those behind it.</summary>
        public long DeliverAt(TimeSpan delay)
        {
            var at = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
            lock (gate)
            {
                lastDeliverAt = Math.Max(lastDeliverAt, at);
                return lastDeliverAt;
            }
        }
    }

    private sealed class End(SimulatedConnection connection, SimulatedTransport owner, long peerId, Direction outgoing, Direction incoming) : IPeerLink
    {
        private int closed;

        public long PeerId { get; } = peerId;

        public async ValueTask SendAsync(QuorumMessage message, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(message);
            ThrowIfUnusable();
            var faults = owner.Network.Faults;
            if (owner.Random.Chance(faults.LinkBreak))
            {
                connection.Break();
                ThrowIfUnusable();
            }

            var delay = owner.Random.Chance(faults.LinkDelay) ? owner.Random.Delay(faults.MaxLinkDelay) : TimeSpan.Zero;
            var frame = new Frame(message.ToByteArray(), outgoing.DeliverAt(delay));
            try
            {
                await outgoing.Frames.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw Unusable(ex);
            }
        }

        public async ValueTask<QuorumMessage> ReceiveAsync(CancellationToken cancellationToken)
        {
            ThrowIfUnusable();
            Frame frame;
            try
            {
                frame = await incoming.Frames.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (ChannelClosedException ex)
            {
                throw Unusable(ex);
            }

            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), frame.DeliverAt);
            if (wait > TimeSpan.Zero)
            {
                await Task.WhenAny(Task.Delay(wait, cancellationToken), connection.broken.Task).ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
            }

            await connection.network.WaitReachableAsync(PeerId, owner.MemberId, connection.broken.Task, cancellationToken).ConfigureAwait(false);

            // What was in flight when the link broke is lost with it.
            ThrowIfUnusable();
            return QuorumMessage.Parser.ParseFrom(frame.Bytes);
        }

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref closed, 1) == 0)
            {
                // The peer reads what this end sent, then sees the close; what it sends from now on fails.
                outgoing.Frames.Writer.TryComplete();
                incoming.Frames.Writer.TryComplete(new IOException($"Member {owner.MemberId} closed the link."));
                connection.network.Closed(connection);
            }

            return ValueTask.CompletedTask;
        }

        public void Fail(IOException failure)
        {
            outgoing.Frames.Writer.TryComplete(failure);
            incoming.Frames.Writer.TryComplete(failure);
        }

        private void ThrowIfUnusable()
        {
            if (Volatile.Read(ref closed) != 0 || connection.IsBroken)
            {
                throw Unusable(null);
            }
        }

        private IOException Unusable(Exception? inner) =>
            Volatile.Read(ref closed) != 0 ? new IOException($"Member {owner.MemberId} closed this link.", inner)
            : connection.IsBroken ? new IOException($"The link between members {owner.MemberId} and {PeerId} broke.", inner)
            : new IOException($"Member {PeerId} closed the link.", inner);
    }
}
