using System.Threading.Channels;
using DotNetty.Transport.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace ZkFire.Interconnect;

/// <summary>
/// One ordered, reliable link with an authenticated peer (TCP's guarantees: what arrives, arrives in order and
/// without gaps; a failure closes the link for good). Sending waits while DotNetty's outbound buffer is above its
/// high-water mark; receiving stops reading the socket while more than the receive high-water mark of bytes wait
/// unread, so a slow reader slows the sender down through TCP instead of filling memory.
/// </summary>
public sealed class AuthenticatedLink<T> : IAsyncDisposable
    where T : IMessage<T>
{
    private readonly IChannel channel;
    private readonly ProtobufFrameCodec<T> codec;
    private readonly LinkEndpointOptions options;
    private readonly Func<T, string?>? refusal;
    private readonly Channel<(T Message, int Size)> inbox = Channel.CreateUnbounded<(T, int)>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly Lock gate = new();
    private TaskCompletionSource? writable;
    private long unreadBytes;
    private string closeReason = "the connection closed";

    /// <param name="refusal">
    /// Why a message may not arrive on this link (null: it may); such a message closes the link and is not delivered.
    /// </param>
    public AuthenticatedLink(AuthenticatedPeer peer, ProtobufFrameCodec<T> codec, LinkEndpointOptions options, ILogger logger, Func<T, string?>? refusal = null)
    {
        channel = peer.Channel;
        this.codec = codec;
        this.options = options;
        this.refusal = refusal;
        PeerId = peer.Id;
        Peer = peer.Name;
        Purpose = peer.Purpose;
        Handler = new LinkHandler(this, logger);
    }

    /// <summary>The authenticated id of the peer at the other end.</summary>
    public string PeerId { get; }

    /// <summary>The peer as logs name it.</summary>
    public string Peer { get; }

    public string Purpose { get; }

    /// <summary>The handler that feeds this link; it takes over from the handshake.</summary>
    public IChannelHandler Handler { get; }

    public bool IsOpen => channel.Active;

    /// <summary>
    /// Hands a message to the connection without waiting for room (for small messages of the link's own, and for
    /// callers that wait with <see cref="WhenWritableAsync"/>); false when the link is closed, the message then unsent.
    /// </summary>
    /// <exception cref="InvalidOperationException">The message is larger than the codec's limit.</exception>
    /// <param name="flush">
    /// False leaves the frame in DotNetty's outbound buffer until <see cref="Flush"/>, so that a sender with a batch
    /// pays one socket write for many frames.
    /// </param>
    public bool TryWrite(T message, bool flush = true)
    {
        if (!channel.Active)
        {
            return false;
        }

        // Writes from outside the event loop are queued to it in call order. A failed write closes the channel,
        // which the next send or receive reports, so the write's own task is not awaited.
        var frame = codec.Encode(channel.Allocator, message);
        _ = flush ? channel.WriteAndFlushAsync(frame) : channel.WriteAsync(frame);
        return true;
    }

    /// <summary>Sends what <see cref="TryWrite"/> left unflushed.</summary>
    public void Flush() => channel.Flush();

    /// <summary>Queues a message; completes when the link can take more (back-pressure).</summary>
    /// <exception cref="IOException">The link is closed.</exception>
    public async ValueTask SendAsync(T message, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!TryWrite(message))
        {
            throw Closed();
        }

        await WhenWritableAsync(cancellationToken);
    }

    /// <summary>Completes when DotNetty's outbound buffer is below its high-water mark.</summary>
    /// <exception cref="IOException">The link is closed.</exception>
    public async ValueTask WhenWritableAsync(CancellationToken cancellationToken)
    {
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

    /// <summary>The next message, in order.</summary>
    /// <exception cref="IOException">The link closed (by either side, or a failure).</exception>
    public async ValueTask<T> ReceiveAsync(CancellationToken cancellationToken)
    {
        (T Message, int Size) item;
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

        if (Interlocked.Add(ref unreadBytes, -item.Size) <= options.ReceiveLowWater && !channel.Configuration.AutoRead)
        {
            channel.Configuration.AutoRead = true;
        }

        return item.Message;
    }

    public async ValueTask DisposeAsync()
    {
        // A closed channel's event loop may have stopped (its endpoint disposed), and would never run the close.
        if (channel.Open)
        {
            try
            {
                await channel.CloseAsync().WaitAsync(LinkEndpoint.CloseBound);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Closed meanwhile, closing failed, or the loop never ran the close: either way the link is gone.
            }
        }

        inbox.Writer.TryComplete();
        SignalWritable();
    }

    private IOException Closed() => new($"The {Purpose} link with {Peer} is closed: {Volatile.Read(ref closeReason)}.");

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

    private sealed class LinkHandler : LinkFrameHandler<T>
    {
        private readonly AuthenticatedLink<T> link;

        public LinkHandler(AuthenticatedLink<T> link, ILogger logger)
            : base(link.codec, link.Purpose, logger)
        {
            this.link = link;
            Peer = link.Peer;
        }

        public override void ChannelInactive(IChannelHandlerContext context)
        {
            LinkLog.Closed(Logger, Purpose, Peer);
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

        protected override void OnRefused(string reason) => Volatile.Write(ref link.closeReason, reason);

        protected override void OnMessage(IChannelHandlerContext context, T message, int size)
        {
            if (link.refusal?.Invoke(message) is { } reason)
            {
                Refuse(context, reason);
                return;
            }

            link.inbox.Writer.TryWrite((message, size));
            if (Interlocked.Add(ref link.unreadBytes, size) >= link.options.ReceiveHighWater)
            {
                var configuration = context.Channel.Configuration;
                configuration.AutoRead = false;

                // The reader may have drained everything between the add and the switch; it then saw reading on and
                // will not switch it back, so this side does.
                if (Interlocked.Read(ref link.unreadBytes) <= link.options.ReceiveLowWater)
                {
                    configuration.AutoRead = true;
                }
            }
        }
    }
}
