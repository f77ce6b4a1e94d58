using System.Runtime.CompilerServices;
using DotNetty.Buffers;
using Google.Protobuf;
using ZkFire.ZooKeeper.Server.Quorum.Messages;

namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>
/// The quorum transport's wire format: a 4-byte big-endian length, then one protobuf <see cref="QuorumMessage"/>.
/// Messages are encoded by the sender's thread straight into a pooled buffer, so the event loop only moves bytes and
/// DotNetty's write-buffer accounting sees their real size.
/// </summary>
internal static class QuorumFrameCodec
{
    public const int LengthPrefixSize = 4;

    /// <summary>A pooled buffer holding the whole frame; whoever writes it to a channel hands its reference over.</summary>
    /// <exception cref="InvalidOperationException">The message is larger than <paramref name="maxMessageSize"/>.</exception>
    public static IByteBuffer Encode(IByteBufferAllocator allocator, QuorumMessage message, int maxMessageSize)
    {
        var size = message.CalculateSize();
        if (size > maxMessageSize)
        {
            ThrowTooLarge(message.BodyCase, size, maxMessageSize);
        }

        var buffer = allocator.Buffer(LengthPrefixSize + size);
        try
        {
            buffer.WriteInt(size);
            var target = buffer.GetIoBuffer(buffer.WriterIndex, size);
            message.WriteTo(target.AsSpan());
            buffer.SetWriterIndex(buffer.WriterIndex + size);
            return buffer;
        }
        catch
        {
            buffer.Release();
            throw;
        }
    }

    /// <summary>Decodes one frame body (the length prefix already stripped); the caller still owns <paramref name="frame"/>.</summary>
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a QuorumMessage.</exception>
    public static QuorumMessage Decode(IByteBuffer frame)
    {
        if (frame.IoBufferCount == 1)
        {
            var bytes = frame.GetIoBuffer(frame.ReaderIndex, frame.ReadableBytes);
            return QuorumMessage.Parser.ParseFrom(bytes.AsSpan());
        }

        // A frame spread over several buffers (rare: the frame decoder merges what it reads) is copied once.
        var copy = new byte[frame.ReadableBytes];
        frame.GetBytes(frame.ReaderIndex, copy);
        return QuorumMessage.Parser.ParseFrom(copy);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooLarge(QuorumMessage.BodyOneofCase body, int size, int maxMessageSize) =>
        throw new InvalidOperationException($"A quorum {body} message of {size} bytes exceeds quorum.maxMessageSize ({maxMessageSize}).");
}
