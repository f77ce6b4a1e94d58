using System.Buffers.Binary;
using System.Globalization;

namespace ZkFire.ZooKeeper.Server.Persistence;

/// <summary>
/// The transaction log's file layout, little-endian throughout.
/// <code>
/// file   = header record*
/// header = magic "ZKFL" (4) | version (4) | first zxid (8) | crc32c of the previous 16 bytes (4)
/// record = length and flags (4) | crc32c of (length and flags, zxid, payload) (4) | zxid (8) | payload (length)
/// </code>
/// The top bit of the length marks the first record of one write-and-fsync. Recovery needs it to tell a torn
/// final write from damage to data that an fsync had already made durable: a write begins only after the previous
/// one's fsync returned (see <see cref="LogFileReader.ClassifyDamage"/>).
/// </summary>
internal static class LogFormat
{
    public const string FilePrefix = "log.";
    public const int FileHeaderSize = 20;
    public const int RecordHeaderSize = 16;
    public const uint WriteStartFlag = 0x8000_0000;

    /// <summary>Far above jute.maxbuffer; it bounds what a damaged length field can make the reader allocate.</summary>
    public const int MaxPayload = 256 * 1024 * 1024;

    private const uint Magic = 0x4C464B5A; // "ZKFL" as bytes on disk
    private const uint Version = 1;

    public static string FileName(long firstZxid) => FilePrefix + firstZxid.ToString("x16", CultureInfo.InvariantCulture);

    public static bool TryParseFileName(string name, string prefix, out long zxid)
    {
        zxid = 0;
        if (!name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var hex = name.AsSpan(prefix.Length);
        return hex.Length is > 0 and <= 16
            && long.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out zxid)
            && zxid > 0;
    }

    public static void WriteFileHeader(Span<byte> destination, long firstZxid)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, Magic);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], firstZxid);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], Crc32C.Compute(destination[..16]));
    }

    /// <summary>Null when the header is sound and names <paramref name="expectedZxid"/>; otherwise what is wrong.</summary>
    public static HeaderProblem? CheckFileHeader(ReadOnlySpan<byte> header, long expectedZxid)
    {
        // A crash while the file was being created leaves it short, zero-filled, or with a header half on disk.
        if (header.Length < FileHeaderSize || !header.ContainsAnyExcept((byte)0))
        {
            return new HeaderProblem(Torn: true, "the file header is incomplete");
        }

        var magic = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (magic != Magic)
        {
            return new HeaderProblem(Torn: false, "not a ZkFire transaction log (bad magic)");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(header[16..]) != Crc32C.Compute(header[..16]))
        {
            return new HeaderProblem(Torn: true, "the file header checksum does not match");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        if (version != Version)
        {
            return new HeaderProblem(Torn: false, $"unsupported format version {version}");
        }

        var firstZxid = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        return firstZxid == expectedZxid
            ? null
            : new HeaderProblem(Torn: false, $"the header says first zxid 0x{firstZxid:x} but the file name says 0x{expectedZxid:x}");
    }

    public static void WriteRecord(Span<byte> destination, long zxid, ReadOnlySpan<byte> payload, bool writeStart)
    {
        var lengthAndFlags = (uint)payload.Length | (writeStart ? WriteStartFlag : 0);
        BinaryPrimitives.WriteUInt32LittleEndian(destination, lengthAndFlags);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], zxid);
        payload.CopyTo(destination[RecordHeaderSize..]);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[4..], RecordChecksum(destination[..4], destination[8..16], payload));
    }

    public static uint RecordChecksum(ReadOnlySpan<byte> lengthAndFlags, ReadOnlySpan<byte> zxid, ReadOnlySpan<byte> payload)
    {
        var state = Crc32C.Update(Crc32C.Seed, lengthAndFlags);
        state = Crc32C.Update(state, zxid);
        return Crc32C.Finish(Crc32C.Update(state, payload));
    }

    /// <summary>Decodes a record header: payload length, stored checksum, zxid and whether it starts a write.</summary>
    public static (int Length, uint Checksum, long Zxid, bool WriteStart) ReadRecordHeader(ReadOnlySpan<byte> header)
    {
        var lengthAndFlags = BinaryPrimitives.ReadUInt32LittleEndian(header);
        return ((int)(lengthAndFlags & ~WriteStartFlag), BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(header[8..]), (lengthAndFlags & WriteStartFlag) != 0);
    }

    /// <summary>Whether <paramref name="data"/> begins with a whole, checksummed record newer than <paramref name="previousZxid"/>.</summary>
    public static bool TryParseRecord(ReadOnlySpan<byte> data, long previousZxid, out int size, out bool writeStart)
    {
        size = 0;
        writeStart = false;
        if (data.Length < RecordHeaderSize)
        {
            return false;
        }

        var (length, checksum, zxid, start) = ReadRecordHeader(data);
        // Cheap rejections first: in zero fill or random bytes almost every offset fails one of these.
        if (zxid <= previousZxid || length > data.Length - RecordHeaderSize)
        {
            return false;
        }

        if (checksum != RecordChecksum(data[..4], data[8..16], data.Slice(RecordHeaderSize, length)))
        {
            return false;
        }

        size = RecordHeaderSize + length;
        writeStart = start;
        return true;
    }
}

internal sealed record HeaderProblem(bool Torn, string Reason);
