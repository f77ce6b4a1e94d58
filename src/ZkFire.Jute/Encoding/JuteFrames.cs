using System.Buffers;
using System.Buffers.Binary;

namespace ZkFire.Jute;

/// <summary>
/// ZooKeeper's client-port framing: a 4-byte big-endian length, then that many bytes of packet.
/// </summary>
public static class JuteFrames
{
    /// <summary>ZooKeeper's default jute.maxbuffer, which bounds the length of every frame the server accepts.</summary>
    public const int DefaultMaxFrameLength = 0xfffff;

    public const int LengthPrefixSize = sizeof(int);

    /// <summary>
    /// Cuts the next complete frame (without its length prefix) off the front of <paramref name="buffer"/>.
    /// Returns false, leaving the buffer alone, while the frame is incomplete.
    /// </summary>
    /// <exception cref="JuteFrameLengthException">
    /// The length is negative or over <paramref name="maxFrameLength"/>; ZooKeeper drops such a connection.
    /// </exception>
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameLength, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < LengthPrefixSize)
        {
            return false;
        }

        int length;
        if (buffer.FirstSpan.Length >= LengthPrefixSize)
        {
            length = BinaryPrimitives.ReadInt32BigEndian(buffer.FirstSpan);
        }
        else
        {
            Span<byte> prefix = stackalloc byte[LengthPrefixSize];
            buffer.Slice(0, LengthPrefixSize).CopyTo(prefix);
            length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        }

        if (length < 0 || length > maxFrameLength)
        {
            throw new JuteFrameLengthException(length, maxFrameLength);
        }

        if (buffer.Length - LengthPrefixSize < length)
        {
            return false;
        }

        frame = buffer.Slice(LengthPrefixSize, length);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <summary>
    /// Reserves a frame's length prefix; pass the returned offset to <see cref="EndFrame"/> once its records
    /// are written. Lets a caller put any sequence of records in one frame.
    /// </summary>
    public static int BeginFrame(ref JuteWriter writer)
    {
        var start = writer.Written;
        writer.WriteInt(0);
        return start;
    }

    public static void EndFrame(ref JuteWriter writer, int start) =>
        writer.WriteIntAt(start, writer.Written - start - LengthPrefixSize);

    /// <summary>Writes one frame holding <paramref name="record"/> and commits it to <paramref name="output"/>.</summary>
    public static void WriteFrame<T>(IBufferWriter<byte> output, T record, int sizeHint = 256)
        where T : IJuteRecord<T>
    {
        var writer = new JuteWriter(output, sizeHint);
        var start = BeginFrame(ref writer);
        record.Write(ref writer);
        EndFrame(ref writer, start);
        writer.Commit();
    }

    /// <summary>Writes one frame holding a header and a body (a request or a reply) and commits it.</summary>
    public static void WriteFrame<THeader, TBody>(IBufferWriter<byte> output, THeader header, TBody body, int sizeHint = 256)
        where THeader : IJuteRecord<THeader>
        where TBody : IJuteRecord<TBody>
    {
        var writer = new JuteWriter(output, sizeHint);
        var start = BeginFrame(ref writer);
        header.Write(ref writer);
        body.Write(ref writer);
        EndFrame(ref writer, start);
        writer.Commit();
    }

    /// <summary>
    /// The frame as one span for <see cref="JuteReader"/>: the frame's own memory when it lies in one segment,
    /// otherwise a pooled copy that is returned on dispose.
    /// </summary>
    public static ContiguousFrame AsContiguous(in ReadOnlySequence<byte> frame) => new(frame);
}

/// <summary>A frame's bytes in one piece; dispose to return the pooled copy, if one was needed.</summary>
public readonly struct ContiguousFrame : IDisposable
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly byte[]? _rented;

    internal ContiguousFrame(in ReadOnlySequence<byte> frame)
    {
        if (frame.IsSingleSegment)
        {
            _memory = frame.First;
            return;
        }

        var length = checked((int)frame.Length);
        _rented = ArrayPool<byte>.Shared.Rent(length);
        frame.CopyTo(_rented);
        _memory = _rented.AsMemory(0, length);
    }

    public ReadOnlySpan<byte> Span => _memory.Span;

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
        }
    }
}
