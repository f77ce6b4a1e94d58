using System.Threading.Channels;
using DotNetty.Transport.Channels;
using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// An authenticated quorum-port connection as an <see cref="IPeerLink"/>. Sending waits while DotNetty's outbound
/// buffer is above its high-water mark; receiving stops reading the socket while more than
/// <see cref="ReceiveHighWater"/> bytes wait unread, so a slow reader slows the sender down through TCP instead of
/// filling memory.
/// </summary>
internal sealed partial class DotNettyPeerLink : IPeerLink
{
    public const int SendHighWater = 2 * 1024 * 1024;
    public const int SendLowWater = 1024 * 1024;
    public const int ReceiveHighWater = 8 * 1024 * 1024;
    public const int ReceiveLowWater = 4 * 1024 * 1024;

    private readonly IChannel channel;
    private readonly int maxMessageSize;
    private readonly Channel<(QuorumMessage Message, int Size)> inbox =
        Channel.CreateUnbounded<(QuorumMessage, int)>();

    private readonly Lock gate = new();
    private TaskCompletionSource? writable;
    private long unreadBytes;

    public DotNettyPeerLink(IChannel channel, long peerId, string peer, int maxMessageSize, ILogger logger)
    {
        this.channel = channel;
        this.maxMessageSize = maxMessageSize;
        PeerId = peerId;
        Handler = new LinkHandler(this, peer, logger);
    }

    public long PeerId { get; }

    /// <summary>The handler that feeds this link; it takes over from the handshake.</summary>
    public QuorumFrameHandler Handler { get; }

    public async ValueTask SendAsync(QuorumMessage message, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!channel.Active)
        {
            throw Closed();
        }

        // Writes from outside the event loop are queued to it in call order. A failed write closes the channel,
        // which the next SendAsync or ReceiveAsync reports, so the write's own task is not awaited.
        _ = channel.WriteAndFlushAsync(QuorumFrameCodec.Encode(channel.Allocator, message, maxMessageSize));
        while (!channel.IsWritable)
        {
            TaskCompletionSource waiter;
            lock (gate)
            {
                waiter = writable ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            // Checked again after registering: the handler may have signalled between the first check and the lock.
            if (!channel.Active)
            {
                throw Closed();
            }

            if (channel.IsWritable)
            {
                break;
            }

            await waiter.Task.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask<QuorumMessage> ReceiveAsync(CancellationToken cancellationToken)
    {
        (QuorumMessage Message, int Size) item;
        if (!inbox.Reader.TryRead(out item))
        {
            try
            {
                item = await inbox.Reader.ReadAsync(cancellationToken);
            }
            catch (ChannelClosedException)
            {
                throw Closed();
            }
        }

        if (Interlocked.Add(ref unreadBytes, -item.Size) <= ReceiveLowWater && !channel.Configuration.AutoRead)
        {
            channel.Configuration.AutoRead = true;
        }

        return item.Message;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await channel.CloseAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Already closed, or closing failed: either way the link is gone.
        }

        inbox.Writer.TryComplete();
        SignalWritable();
    }

    private IOException Closed() => new($"The quorum link with member {PeerId} is closed.");

    private void SignalWritable()
    {
        TaskCompletionSource? waiter;
        lock (gate)
        {
            waiter = writable;
            writable = null;
        }

        waiter?.TrySetResult();
    }

    private sealed partial class LinkHandler : QuorumFrameHandler
    {
        private readonly DotNettyPeerLink link;

        public LinkHandler(DotNettyPeerLink link, string peer, ILogger logger)
            : base(logger)
        {
            this.link = link;
            Peer = peer;
        }

        public override void ChannelInactive(IChannelHandlerContext context)
        {
            LogClosed(Logger, Peer);
            link.inbox.Writer.TryComplete();
            link.SignalWritable();
            base.ChannelInactive(context);
        }

        public override void ChannelWritabilityChanged(IChannelHandlerContext context)
        {
            if (context.Channel.IsWritable)
            {
                link.SignalWritable();
            }

            base.ChannelWritabilityChanged(context);
        }

        protected override void OnMessage(IChannelHandlerContext context, QuorumMessage message, int size)
        {
            if (message.BodyCase is QuorumMessage.BodyOneofCase.Hello or QuorumMessage.BodyOneofCase.Challenge or QuorumMessage.BodyOneofCase.Proof
                or QuorumMessage.BodyOneofCase.Notification)
            {
                Refuse(context, $"{message.BodyCase} on an established quorum link");
                return;
            }

            link.inbox.Writer.TryWrite((message, size));
            if (Interlocked.Add(ref link.unreadBytes, size) >= ReceiveHighWater)
            {
                var configuration = context.Channel.Configuration;
                configuration.AutoRead = false;

                // The reader may have drained everything between the add and the switch; it then saw reading on and
                // will not switch it back, so this side does.
                if (Interlocked.Read(ref link.unreadBytes) <= ReceiveLowWater)
                {
                    configuration.AutoRead = true;
                }
            }
        }

        [LoggerMessage(Level = LogLevel.Information, Message = "Quorum transport: the quorum link with {Peer} closed")]
        private static partial void LogClosed(ILogger logger, string peer);
    }
}
