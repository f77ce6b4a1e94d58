using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace ZkFire.Jute;

/// <summary>
/// Encodes jute's BinaryOutputArchive format into an <see cref="IBufferWriter{T}"/>. Nothing reaches the output
/// until <see cref="Commit"/>.
/// </summary>
/// <remarks>
/// The bytes of one message are kept contiguous so a frame's length can be patched in after its body
/// (<see cref="WriteIntAt"/>). They go straight into the output's own span when the message fits in it — one
/// GetSpan, one Advance, no copy, which is the common case for ZooKeeper's small packets. A message that
/// outgrows that span moves to a pooled array and is copied out once at commit; the output is never asked for
/// a second span before then, so the bytes already written are never read from memory the output may have
/// recycled.
/// </remarks>
public ref struct JuteWriter
{
    private const int DefaultSizeHint = 256;

    private readonly IBufferWriter<byte> _output;
    private readonly int _sizeHint;
    private Span<byte> _span;
    private byte[]? _rented;
    private int _written;

    /// <param name="output">Where committed bytes go.</param>
    /// <param name="sizeHint">Expected message size; asking for enough up front keeps large messages copy-free.</param>
    public JuteWriter(IBufferWriter<byte> output, int sizeHint = DefaultSizeHint)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
        _sizeHint = Math.Max(sizeHint, 16);
    }

    /// <summary>Bytes written since the last commit.</summary>
    public readonly int Written => _written;

    public void WriteInt(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(Reserve(sizeof(int)), value);
    }

    public void WriteLong(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(Reserve(sizeof(long)), value);
    }

    public void WriteBool(bool value) => Reserve(1)[0] = value ? (byte)1 : (byte)0;

    /// <summary>A jute buffer; null is written as length -1.</summary>
    public void WriteBuffer(byte[]? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }

        WriteBuffer(value.AsSpan());
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        value.CopyTo(Reserve(value.Length));
    }

    /// <summary>
    /// A jute ustring in standard UTF-8; null is written as length -1. (Java's writer encodes each UTF-16 unit on
    /// its own, so it sends a supplementary character as 6 bytes; every reader, Java's included, decodes the
    /// standard 4-byte form, and no valid znode path contains one.)
    /// </summary>
    public void WriteString(string? value)
    {
        if (value is null)
        {
            WriteInt(-1);
            return;
        }

        var length = Encoding.UTF8.GetByteCount(value);
        WriteInt(length);
        Encoding.UTF8.GetBytes(value, Reserve(length));
    }

    public void Write<T>(T record) where T : IJuteRecord<T> => record.Write(ref this);

    /// <summary>A vector of records; null is written as count -1.</summary>
    public void WriteVector<T>(IReadOnlyList<T>? items) where T : IJuteRecord<T>
    {
        if (items is null)
        {
            WriteInt(-1);
            return;
        }

        WriteInt(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            items[i].Write(ref this);
        }
    }

    /// <summary>A vector of strings; null is written as count -1.</summary>
    public void WriteStringVector(IReadOnlyList<string>? items)
    {
        if (items is null)
        {
            WriteInt(-1);
            return;
        }

        WriteInt(items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            WriteString(items[i]);
        }
    }

    /// <summary>Overwrites four already written bytes, counted from the last commit; frames use it for their length.</summary>
    public readonly void WriteIntAt(int offset, int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(offset, _written - sizeof(int));
        BinaryPrimitives.WriteInt32BigEndian(_span[offset..], value);
    }

    /// <summary>Hands everything written so far to the output; the writer can then start the next message.</summary>
    public void Commit()
    {
        if (_rented is null)
        {
            if (_written > 0)
            {
                _output.Advance(_written);
            }
        }
        else
        {
            _output.Write(_rented.AsSpan(0, _written));
            ArrayPool<byte>.Shared.Return(_rented);
            _rented = null;
        }

        _span = default;
        _written = 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Span<byte> Reserve(int count)
    {
        if (_span.Length - _written < count)
        {
            Grow(count);
        }

        var span = _span.Slice(_written, count);
        _written += count;
        return span;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Grow(int count)
    {
        var needed = checked(_written + count);
        if (_written == 0 && _rented is null)
        {
            _span = _output.GetSpan(Math.Max(needed, _sizeHint));
            if (_span.Length >= needed)
            {
                return;
            }
        }

        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, _span.Length * 2));
        _span[.._written].CopyTo(larger);
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
        }

        _rented = larger;
        _span = larger;
    }
}
