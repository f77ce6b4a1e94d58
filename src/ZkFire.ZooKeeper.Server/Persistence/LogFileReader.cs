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
    /// Whether a record that began a later write survives past the damage at <paramref name="damagedAt"/>. If one
    /// does, the damaged bytes were fsynced before that write began, so they are corruption, not a torn tail.
    /// </summary>
    public bool HasLaterWrite(long damagedAt, long lastGoodZxid)
    {
        var tail = new byte[Length - damagedAt - 1];
        RandomAccess.Read(_stream.SafeFileHandle, tail, damagedAt + 1);
        var offset = 0;
        while (offset < tail.Length)
        {
            if (!LogFormat.TryParseRecord(tail.AsSpan(offset), lastGoodZxid, out var size, out var writeStart))
            {
                offset++;
            }
            else if (writeStart)
            {
                return true;
            }
            else
            {
                offset += size;
            }
        }

        return false;
    }

    public void Dispose() => _stream.Dispose();
}
