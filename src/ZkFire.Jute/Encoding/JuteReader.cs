using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;

namespace ZkFire.Jute;

/// <summary>
/// Decodes jute's BinaryInputArchive format from one contiguous span: big-endian int/long, one-byte bool,
/// length-prefixed buffers, UTF-8 strings and vectors where -1 means null. Every length is checked against the
/// bytes that remain before anything is allocated, so a hostile length costs nothing.
/// </summary>
public ref struct JuteReader
{
    // Every element type a zookeeper.jute vector holds (ustring, ACL, Id, Txn, ClientInfo) starts with an int or
    // a string length, so a count larger than remaining/4 cannot be honest; refusing it early keeps a forged
    // count from allocating a huge array.
    private const int MinVectorElementSize = 4;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> buffer) => _buffer = buffer;

    public readonly int Position => _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool IsAtEnd => _position == _buffer.Length;

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(sizeof(int)));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(sizeof(long)));

    /// <summary>Any non-zero byte is true, as Java's DataInput.readBoolean decides.</summary>
    public bool ReadBool() => Take(1)[0] != 0;

    /// <summary>A jute buffer; null when the peer wrote length -1 (ZooKeeper keeps null node data as such).</summary>
    public byte[]? ReadBuffer()
    {
        var length = ReadLength("buffer");
        return length < 0 ? null : Take(length).ToArray();
    }

    /// <summary>A jute ustring that the record requires; a null (-1) string is malformed here.</summary>
    public string ReadString() => ReadNullableString() ?? Throw<string>("A required string was null.");

    /// <summary>
    /// A jute ustring, null when written as -1. Invalid UTF-8 becomes U+FFFD, as Java's decoder does, so a path
    /// with broken bytes fails path validation exactly as it would on ZooKeeper.
    /// </summary>
    public string? ReadNullableString()
    {
        var length = ReadLength("string");
        return length < 0 ? null : Encoding.UTF8.GetString(Take(length));
    }

    public T Read<T>() where T : IJuteRecord<T> => T.Read(ref this);

    /// <summary>A vector of records; a null vector (-1) reads as empty, which every ZooKeeper consumer treats alike.</summary>
    public T[] ReadVector<T>() where T : IJuteRecord<T>
    {
        var items = new T[ReadCount()];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = T.Read(ref this);
        }

        return items;
    }

    /// <summary>A vector of required strings; a null vector (-1) reads as empty.</summary>
    public string[] ReadStringVector()
    {
        var items = new string[ReadCount()];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = ReadString();
        }

        return items;
    }

    private int ReadCount()
    {
        var count = ReadInt();
        if (count == -1)
        {
            return 0;
        }

        if (count < 0 || count > Remaining / MinVectorElementSize)
        {
            Throw<int>($"Vector count {count} cannot fit in the {Remaining} bytes left.");
        }

        return count;
    }

    /// <summary>-1 for null, otherwise a length proven to fit in what is left.</summary>
    private int ReadLength(string what)
    {
        var length = ReadInt();
        if (length < -1 || length > Remaining)
        {
            Throw<int>($"The {what} length {length} is outside -1..{Remaining}.");
        }

        return length;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ReadOnlySpan<byte> Take(int count)
    {
        // Compared as unsigned so one branch also rejects a negative count.
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            Truncated(count);
        }

        var span = _buffer.Slice(_position, count);
        _position += count;
        return span;
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private readonly void Truncated(int count) =>
        throw new JuteException($"Needed {count} bytes at offset {_position} but only {Remaining} remain.");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private static T Throw<T>(string message) => throw new JuteException(message);
}
