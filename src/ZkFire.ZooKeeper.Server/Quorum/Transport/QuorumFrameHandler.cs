using DotNetty.Buffers;
using DotNetty.Codecs;
using DotNetty.Transport.Channels;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// The last handler of every quorum transport connection: decodes the frames the length decoder cuts into
/// <see cref="QuorumMessage"/>s, and closes the connection (with a warning naming the peer) on a frame that is too
/// long or not a message. Once it has decided to close, nothing more from that connection is handled.
/// </summary>
internal abstract partial class QuorumFrameHandler(ILogger logger) : ChannelHandlerAdapter
{
    private bool refused;

    protected ILogger Logger { get; } = logger;

    /// <summary>The peer as logs name it: its address, and its myid once known.</summary>
    protected string Peer { get; set; } = "?";

    public override void ChannelActive(IChannelHandlerContext context)
    {
        Peer = context.Channel.RemoteAddress?.ToString() ?? "?";
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
        QuorumMessage decoded;
        try
        {
            decoded = QuorumFrameCodec.Decode(frame);
        }
        catch (InvalidProtocolBufferException ex)
        {
            Refuse(context, $"a frame of {size} bytes is not a quorum message ({ex.Message})");
            return;
        }
        finally
        {
            frame.Release();
        }

        if (decoded.BodyCase == QuorumMessage.BodyOneofCase.None)
        {
            Refuse(context, "an empty or unknown message");
            return;
        }

        OnMessage(context, decoded, size);
    }

    public override void ExceptionCaught(IChannelHandlerContext context, Exception exception)
    {
        if (exception is TooLongFrameException)
        {
            Refuse(context, $"a frame over quorum.maxMessageSize ({exception.Message})");
        }
        else if (exception is DecoderException)
        {
            // CorruptedFrameException: a negative length.
            Refuse(context, exception.Message);
        }
        else
        {
            LogConnectionFailed(Logger, Peer, exception.Message);
            context.CloseAsync();
        }
    }

    /// <summary>Handles one decoded message of <paramref name="size"/> bytes.</summary>
    protected abstract void OnMessage(IChannelHandlerContext context, QuorumMessage message, int size);

    /// <summary>Drops the connection for a protocol violation, with a warning naming the peer.</summary>
    protected void Refuse(IChannelHandlerContext context, string reason)
    {
        if (refused)
        {
            return;
        }

        refused = true;
        LogRefused(Logger, Peer, reason);
        OnRefused(reason);
        context.CloseAsync();
    }

    /// <summary>Called once when <see cref="Refuse"/> drops the connection.</summary>
    protected virtual void OnRefused(string reason)
    {
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Quorum transport: closing the connection with {Peer}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Quorum transport: the connection with {Peer} failed: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string peer, string reason);
}
