using System.Runtime.CompilerServices;
using DotNetty.Buffers;
using DotNetty.Codecs;
using Google.Protobuf;

namespace ZkFire.Interconnect;

/// <summary>
/// The links' wire format: a 4-byte big-endian length, then one protobuf <typeparamref name="T"/>. Messages are
/// encoded by the sender's thread straight into a pooled buffer, so the event loop only moves bytes and DotNetty's
/// write-buffer accounting sees their real size.
/// </summary>
public sealed class ProtobufFrameCodec<T>
    where T : IMessage<T>
{
    private readonly MessageParser<T> parser;

    /// <param name="maxMessageSize">The largest message sent or accepted, in bytes (length prefix excluded).</param>
    public ProtobufFrameCodec(MessageParser<T> parser, int maxMessageSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageSize);
        this.parser = parser;
        MaxMessageSize = maxMessageSize;
    }

    public int MaxMessageSize { get; }

    /// <summary>A pooled buffer holding the whole frame; whoever writes it to a channel hands its reference over.</summary>
    /// <exception cref="InvalidOperationException">The message is larger than <see cref="MaxMessageSize"/>.</exception>
    public IByteBuffer Encode(IByteBufferAllocator allocator, T message)
    {
        var size = message.CalculateSize();
        if (size > MaxMessageSize)
        {
            ThrowTooLarge(message, size, MaxMessageSize);
        }

        var buffer = allocator.Buffer(LinkFraming.LengthPrefixSize + size);
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
    /// <exception cref="InvalidProtocolBufferException">The bytes are not a <typeparamref name="T"/>.</exception>
    public T Decode(IByteBuffer frame)
    {
        if (frame.IoBufferCount == 1)
        {
            var bytes = frame.GetIoBuffer(frame.ReaderIndex, frame.ReadableBytes);
            return parser.ParseFrom(bytes.AsSpan());
        }

        // A frame spread over several buffers (rare: the frame decoder merges what it reads) is copied once.
        var copy = new byte[frame.ReadableBytes];
        frame.GetBytes(frame.ReaderIndex, copy);
        return parser.ParseFrom(copy);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTooLarge(T message, int size, int maxMessageSize) =>
        throw new InvalidOperationException($"A {message.Descriptor.Name} of {size} bytes exceeds the largest message a link carries ({maxMessageSize} bytes).");
}

/// <summary>The length prefix every link frame starts with.</summary>
public static class LinkFraming
{
    public const int LengthPrefixSize = 4;

    /// <summary>Cuts the byte stream into frame bodies; a length over <paramref name="maxMessageSize"/> fails at once.</summary>
    public static LengthFieldBasedFrameDecoder CreateDecoder(int maxMessageSize) => new(
        DotNetty.Buffers.ByteOrder.BigEndian,
        maxMessageSize,
        lengthFieldOffset: 0,
        lengthFieldLength: LengthPrefixSize,
        lengthAdjustment: 0,
        initialBytesToStrip: LengthPrefixSize,
        failFast: true);
}
