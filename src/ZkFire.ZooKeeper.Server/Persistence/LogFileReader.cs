namespace ZkFire.ZooKeeper.Server.Persistence;

internal enum RecordStatus
{
    Record,
    End,
    Damaged,
}

/// <summary>Reads one log file front to back, checking every record, up to a length (the part known to be durable).</summary>
internal sealed class LogFileReader : IDisposable
{
    private readonly FileStream _stream;
    private readonly byte[] _header = new byte[LogFormat.RecordHeaderSize];
    private byte[] _payload = new byte[1024];
    private int _payloadLength;

    public LogFileReader(string path, long limit = long.MaxValue)
    {
        Path = path;
        // Delete is shared so that a purge may remove a file that a replay is still reading.
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        Length = Math.Min(limit, _stream.Length);
    }

    public string Path { get; }

    public long Length { get; }

    /// <summary>Where the record last read (or found damaged) begins.</summary>
    public long RecordStart { get; private set; }

    public long Position { get; private set; }

    public long Zxid { get; private set; }

    public ReadOnlySpan<byte> Payload => _payload.AsSpan(0, _payloadLength);

    public HeaderProblem? ReadHeader(long expectedZxid)
    {
        var header = new byte[LogFormat.FileHeaderSize];
        var read = _stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        var available = (int)Math.Min(read, Length);
        Position = available;
        return LogFormat.CheckFileHeader(header.AsSpan(0, available), expectedZxid);
    }

    /// <summary>Reads the next record; it must be newer than <paramref name="previousZxid"/> and, when given, be <paramref name="exactZxid"/>.</summary>
    public RecordStatus ReadRecord(long previousZxid, long exactZxid = 0)
    {
        RecordStart = Position;
        var remaining = Length - Position;
        if (remaining == 0)
        {
            return RecordStatus.End;
        }

        if (remaining < LogFormat.RecordHeaderSize)
        {
            return RecordStatus.Damaged;
        }

        _stream.ReadExactly(_header);
        var (length, checksum, zxid, _) = LogFormat.ReadRecordHeader(_header);
        if (length > LogFormat.MaxPayload || length > remaining - LogFormat.RecordHeaderSize)
        {
            return RecordStatus.Damaged;
        }

        if (_payload.Length < length)
        {
            _payload = new byte[Math.Max(length, _payload.Length * 2)];
        }

        _stream.ReadExactly(_payload, 0, length);
        _payloadLength = length;
        if (checksum != LogFormat.RecordChecksum(_header.AsSpan(0, 4), _header.AsSpan(8, 8), Payload)
            || zxid <= previousZxid || (exactZxid != 0 && zxid != exactZxid))
        {
            return RecordStatus.Damaged;
        }

        Zxid = zxid;
        Position += LogFormat.RecordHeaderSize + length;
        return RecordStatus.Record;
    }

    /// <summary>
    /// Decides whether damage at <paramref name="damagedAt"/> in the last file is a torn final write (null) or
    /// corruption (the reason). Only zeros or garbage to the end of the file: torn. Intact records of a later write
    /// after it: corruption, because a write begins only after the previous one's fsync returned. Intact records of
    /// the same write after it: torn only if the damage holds a zero-filled sector, the mark of a page that never
    /// reached the disk because writeback went out of order (etcd's test for torn entries); a flipped bit is not that.
    /// </summary>
    public string? ClassifyDamage(long damagedAt, long lastGoodZxid)
    {
        var tail = new byte[Length - damagedAt];
        RandomAccess.Read(_stream.SafeFileHandle, tail, damagedAt);
        var firstIntact = -1;
        var offset = 1;
        while (offset < tail.Length)
        {
            if (!LogFormat.TryParseRecord(tail.AsSpan(offset), lastGoodZxid, out var size, out var writeStart))
            {
                offset++;
                continue;
            }

            if (writeStart)
            {
                return "a damaged record is followed by records of a later write, so it went bad after it was durable";
            }

            if (firstIntact < 0)
            {
                firstIntact = offset;
            }

            offset += size;
        }

        return firstIntact < 0 || HasZeroSector(damagedAt, tail.AsSpan(0, firstIntact))
            ? null
            : "a damaged record is followed by intact records";
    }

    private static bool HasZeroSector(long fileOffset, ReadOnlySpan<byte> region)
    {
        const int Sector = 512;
        var start = (int)((Sector - (fileOffset % Sector)) % Sector);
        for (; start + Sector <= region.Length; start += Sector)
        {
            if (!region.Slice(start, Sector).ContainsAnyExcept((byte)0))
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose() => _stream.Dispose();
}
