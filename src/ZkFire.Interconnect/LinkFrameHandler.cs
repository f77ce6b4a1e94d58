using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Transport.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace ZkFire.Interconnect;

/// <summary>
/// The last handler of a link connection: decodes the frames the length decoder cuts into
/// <typeparamref name="T"/>s, and closes the connection (with a warning naming the peer and the link's purpose) on a
/// frame that is too long, empty or not a message. Once it has decided to close, nothing more from that connection
/// is handled.
/// </summary>
public abstract class LinkFrameHandler<T> : ChannelHandlerAdapter
    where T : IMessage<T>
{
    private readonly ProtobufFrameCodec<T> codec;
    private bool refused;

    /// <param name="purpose">What the link is for, as logs name it ("quorum", "notice").</param>
    protected LinkFrameHandler(ProtobufFrameCodec<T> codec, string purpose, ILogger logger)
    {
        this.codec = codec;
        Purpose = purpose;
        Logger = logger;
    }

    public string Purpose { get; }

    /// <summary>The peer as logs name it: its address, and its id once known.</summary>
    public string Peer { get; protected set; } = "?";

    protected ILogger Logger { get; }

    public override void ChannelActive(IChannelHandlerContext context)
    {
        if (Peer == "?")
        {
            Peer = context.Channel.RemoteAddress?.ToString() ?? "?";
        }

        base.ChannelActive(context);
    }

    public override void ChannelRead(IChannelHandlerContext context, object message)
    {
        var frame = (IByteBuffer)message;
        if (refused)
        {
            frame.Release();
            return;
        }

        var size = frame.ReadableBytes;
        T decoded;
        try
        {
            if (size == 0)
            {
                Refuse(context, "an empty frame");
                return;
            }

            decoded = codec.Decode(frame);
        }
        catch (InvalidProtocolBufferException ex)
        {
            Refuse(context, $"a frame of {size} bytes is not a {Purpose} message ({ex.Message})");
            return;
        }
        finally
        {
            frame.Release();
        }

        OnMessage(context, decoded, size);
    }

    public override void ExceptionCaught(IChannelHandlerContext context, Exception exception)
    {
        if (exception is TooLongFrameException)
        {
            Refuse(context, $"a frame over the largest {Purpose} message ({codec.MaxMessageSize} bytes): {exception.Message}");
        }
        else if (exception is DecoderException)
        {
            // CorruptedFrameException: a negative length.
            Refuse(context, exception.Message);
        }
        else
        {
            LinkLog.ConnectionFailed(Logger, Purpose, Peer, exception.Message);
            context.CloseAsync();
        }
    }

    /// <summary>Handles one decoded message of <paramref name="size"/> bytes.</summary>
    protected abstract void OnMessage(IChannelHandlerContext context, T message, int size);

    /// <summary>Drops the connection for a protocol violation, with a warning naming the peer.</summary>
    protected void Refuse(IChannelHandlerContext context, string reason)
    {
        if (refused)
        {
            return;
        }

        refused = true;
        LinkLog.Refused(Logger, Purpose, Peer, reason);
        OnRefused(reason);
        context.CloseAsync();
    }

    /// <summary>Called once when <see cref="Refuse"/> drops the connection.</summary>
    protected virtual void OnRefused(string reason)
    {
    }
}
