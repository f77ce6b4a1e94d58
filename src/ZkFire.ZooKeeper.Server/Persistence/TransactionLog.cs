using System.Buffers;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using ZkFire.ZooKeeper.Server.Quorum.Zab;

namespace ZkFire.ZooKeeper.Server.Persistence;

/// <summary>A transaction as logged: its zxid and its serialised TxnHeader followed by the txn record.</summary>
public sealed record LoggedTxn(long Zxid, byte[] Txn);

/// <summary>The log's corruption (not a torn tail): start-up must stop and say where.</summary>
public sealed class TransactionLogCorruptException : Exception
{
    public TransactionLogCorruptException() { }

    public TransactionLogCorruptException(string message) : base(message) { }

    public TransactionLogCorruptException(string message, Exception innerException) : base(message, innerException) { }

    internal TransactionLogCorruptException(string file, long offset, string reason)
        : base($"Transaction log {file} is corrupt at offset {offset}: {reason}. Start-up stops rather than lose "
            + "acknowledged transactions; restore the file, or move it and every later log file aside so that this "
            + "member resynchronises from the quorum.")
    {
        FilePath = file;
        Offset = offset;
    }

    /// <summary>The damaged file, when known.</summary>
    public string? FilePath { get; }

    /// <summary>The byte offset of the damaged record (or header) in <see cref="FilePath"/>.</summary>
    public long Offset { get; }
}

/// <summary>
/// Append-only, checksummed transaction log in files <c>log.&lt;first zxid in hex&gt;</c>. Appends are buffered;
/// <see cref="FlushAsync"/> makes everything appended so far durable (one fsync for many appends: group commit).
/// A write is acknowledged to a client only after the flush that covers it.
/// </summary>
/// <remarks>
/// <para>Each file's epoch ends (the last zxid of each epoch in it) are indexed in memory as records become durable, and
/// learned when the log opens, from the recovery pass that checks every record anyway; a truncation re-reads only the
/// file it cuts, and a purge drops the index with the file. A ZAB sync asks the index instead of reading the log.</para>
/// <para>Files are not pre-allocated (ZooKeeper pads them in 64 MiB steps). ZooKeeper's padding extends the file
/// sparsely, so each write still allocates blocks, and .NET's flush is a full fsync that commits the size change
/// anyway; padding would buy little here and would make a zero-filled region ambiguous. Zero fill at the end of the
/// last file can still appear after a crash on some file systems, and recovery treats it like any torn tail.</para>
/// </remarks>
public sealed class TransactionLog : IAsyncDisposable
{
    internal const long DefaultMaxFileSize = 64L * 1024 * 1024;

    private readonly string _directory;
    private readonly bool _forceSync;
    private readonly ILogger _logger;
    private readonly long _maxFileSize;

    // _gate guards the append side (_pending, _lastZxid, where the next record goes), _files and its lengths. It is
    // held only for memory copies; the file I/O runs under _flushLock, so Append never waits for a disk.
    private readonly Lock _gate = new();
    private readonly List<LogFile> _files;
    private Batch _pending = new();
    private long _lastZxid;
    private long _appendFileLength;
    private bool _startNewFile = true;
    private Exception? _failure;
    private bool _disposed;

    private readonly SemaphoreSlim _flushLock = new(1, 1);
    private Batch? _spare = new();
    private SafeFileHandle? _handle;
    private LogFile? _current;
    private long _durableZxid;
    private long _fsyncCount;

    private TransactionLog(string directory, bool forceSync, ILogger logger, long maxFileSize, List<LogFile> files, long lastZxid)
    {
        _directory = directory;
        _forceSync = forceSync;
        _logger = logger;
        _maxFileSize = maxFileSize;
        _files = files;
        _lastZxid = lastZxid;
        _durableZxid = lastZxid;
    }

    /// <summary>Opens the log in <paramref name="directory"/>, truncating a torn tail (with a log line).</summary>
    /// <exception cref="TransactionLogCorruptException">A record before the tail is damaged.</exception>
    public static TransactionLog Open(string directory, bool forceSync, ILogger logger) => Open(directory, forceSync, logger, DefaultMaxFileSize);

    internal static TransactionLog Open(string directory, bool forceSync, ILogger logger, long maxFileSize)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFileSize, LogFormat.FileHeaderSize);
        Directory.CreateDirectory(directory);

        var found = Directory.EnumerateFiles(directory, LogFormat.FilePrefix + "*")
            .Select(path => (Path: path, Ok: LogFormat.TryParseFileName(Path.GetFileName(path), LogFormat.FilePrefix, out var zxid), Zxid: zxid))
            .Where(file => file.Ok)
            .OrderBy(file => file.Zxid)
            .ToList();
        var files = new List<LogFile>(found.Count);
        long lastZxid = 0;
        for (var i = 0; i < found.Count; i++)
        {
            var (file, fileLastZxid) = Recover(found[i].Path, found[i].Zxid, isLast: i == found.Count - 1, lastZxid, logger);
            if (file is not null)
            {
                files.Add(file);
                lastZxid = fileLastZxid;
            }
        }

        PersistenceLog.Opened(logger, directory, files.Count, lastZxid);
        // Appends go to a new file, as in ZooKeeper: files already on disk are never written again.
        return new TransactionLog(directory, forceSync, logger, maxFileSize, files, lastZxid);
    }

    /// <summary>The zxid of the last record appended (0 when empty).</summary>
    public long LastZxid
    {
        get
        {
            lock (_gate)
            {
                return _lastZxid;
            }
        }
    }

    /// <summary>The zxid of the last record made durable by a flush (0 when empty).</summary>
    public long FlushedZxid => Volatile.Read(ref _durableZxid);

    /// <summary>fsyncs of log files so far; tests and benchmarks read it to see group commit at work.</summary>
    internal long FsyncCount => Interlocked.Read(ref _fsyncCount);

    /// <summary>Appends a record; zxids must increase. Not durable until <see cref="FlushAsync"/>.</summary>
    public void Append(long zxid, ReadOnlySpan<byte> txn)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(txn.Length, LogFormat.MaxPayload, nameof(txn));
        lock (_gate)
        {
            ThrowIfUnusable();
            if (zxid <= _lastZxid)
            {
                throw new ArgumentOutOfRangeException(nameof(zxid), zxid, $"zxid 0x{zxid:x} does not follow the last logged zxid 0x{_lastZxid:x}.");
            }

            var batch = _pending;
            bool writeStart;
            if (_startNewFile || _appendFileLength >= _maxFileSize)
            {
                batch.Segments.Add(new Segment(batch.Length, zxid, batch.EpochEnds.Count));
                LogFormat.WriteFileHeader(batch.Reserve(LogFormat.FileHeaderSize), zxid);
                _appendFileLength = LogFormat.FileHeaderSize;
                _startNewFile = false;
                writeStart = true;
            }
            else
            {
                writeStart = batch.Segments.Count == 0;
                if (writeStart)
                {
                    batch.Segments.Add(new Segment(batch.Length, 0, batch.EpochEnds.Count));
                }
            }

            var record = batch.Reserve(LogFormat.RecordHeaderSize + txn.Length);
            LogFormat.WriteRecord(record, zxid, txn, writeStart);
            _appendFileLength += record.Length;
            _lastZxid = zxid;
            batch.LastZxid = zxid;
            EpochEnds.Note(batch.EpochEnds, zxid, batch.Segments[^1].FirstEnd);
        }
    }

    /// <summary>Writes and fsyncs (unless forceSync is off) everything appended so far.</summary>
    /// <remarks>
    /// Callers that arrive while a flush runs wait for it, then one of them flushes everything appended meanwhile
    /// and the others find their records already durable. The write and fsync run synchronously on the calling
    /// thread: fsync has no asynchronous form, so the flusher task is the one that waits for the disk.
    /// </remarks>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        long target;
        lock (_gate)
        {
            ThrowIfUnusable();
            target = _lastZxid;
        }

        if (Volatile.Read(ref _durableZxid) >= target)
        {
            return;
        }

        await _flushLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_durableZxid >= target)
            {
                return;
            }

            Batch batch;
            lock (_gate)
            {
                ThrowIfUnusable();
                batch = _pending;
                _pending = _spare!;
                _spare = null;
            }

            try
            {
                WriteBatch(batch);
            }
            catch (Exception exception)
            {
                // What reached the disk is unknown; refuse further writes rather than log past a hole.
                lock (_gate)
                {
                    _failure = exception;
                }

                PersistenceLog.WriteFailed(_logger, exception);
                throw;
            }

            Volatile.Write(ref _durableZxid, batch.LastZxid);
            batch.Reset();
            _spare = batch;
        }
        finally
        {
            _flushLock.Release();
        }
    }

    /// <summary>Starts a new file at the next append (called after a snapshot).</summary>
    public void RollOver()
    {
        lock (_gate)
        {
            _startNewFile = true;
        }
    }

    /// <summary>Every record with a zxid above <paramref name="zxid"/>, in order, for recovery.</summary>
    /// <remarks>Reads only what was durable when called; a record damaged since start-up throws <see cref="TransactionLogCorruptException"/>.</remarks>
    public IEnumerable<LoggedTxn> ReadAfter(long zxid) => Read(Files(), zxid, static reader => new LoggedTxn(reader.Zxid, reader.Payload.ToArray()));

    /// <summary>The last zxid of each epoch in the flushed records, ascending; read from the files' index, not the records.</summary>
    public List<long> EpochEndZxids()
    {
        var ends = new List<long>();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var file in _files)
            {
                // An epoch that spans files ends in the later one.
                foreach (var end in file.EpochEnds)
                {
                    EpochEnds.Note(ends, end);
                }
            }
        }

        return ends;
    }

    /// <summary>The newest flushed zxid at or below <paramref name="zxid"/>, or 0 when the log holds none.</summary>
    /// <remarks>
    /// The files' epoch index answers unless the log holds zxids on both sides of <paramref name="zxid"/> within its
    /// epoch; then only the one file that holds them is read, up to <paramref name="zxid"/>.
    /// </remarks>
    public long LastZxidAtOrBelow(long zxid)
    {
        (string Path, long FirstZxid, long Length) file;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var index = _files.FindLastIndex(candidate => candidate.FirstZxid <= zxid);
            if (index < 0)
            {
                return 0;
            }

            var found = _files[index];
            var ends = found.EpochEnds;
            var below = ends.FindLastIndex(end => end <= zxid);
            // Any zxid of this file between that epoch end and zxid would be of zxid's own epoch, ending after zxid.
            var epochGoesOn = below + 1 < ends.Count && Zxid.Epoch(ends[below + 1]) == Zxid.Epoch(zxid);
            if (below >= 0 && !epochGoesOn)
            {
                return ends[below];
            }

            file = (found.Path, found.FirstZxid, found.Length);
        }

        return Read([file], 0, static reader => reader.Zxid).TakeWhile(logged => logged <= zxid).LastOrDefault();
    }

    private (string Path, long FirstZxid, long Length)[] Files()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return [.. _files.Select(file => (file.Path, file.FirstZxid, file.Length))];
        }
    }

    private static IEnumerable<T> Read<T>((string Path, long FirstZxid, long Length)[] files, long zxid, Func<LogFileReader, T> select)
    {
        // A file holds only zxids below the next file's first, so every file before the last one starting at or
        // below zxid + 1 is skipped whole.
        var start = 0;
        for (var i = 1; i < files.Length; i++)
        {
            if (files[i].FirstZxid - 1 <= zxid)
            {
                start = i;
            }
        }

        long previous = 0;
        for (var i = start; i < files.Length; i++)
        {
            using var reader = new LogFileReader(files[i].Path, files[i].Length);
            var problem = reader.ReadHeader(files[i].FirstZxid);
            if (problem is not null)
            {
                throw new TransactionLogCorruptException(reader.Path, 0, problem.Reason);
            }

            var first = true;
            RecordStatus status;
            while ((status = reader.ReadRecord(previous, first ? files[i].FirstZxid : 0)) == RecordStatus.Record)
            {
                first = false;
                previous = reader.Zxid;
                if (reader.Zxid > zxid)
                {
                    yield return select(reader);
                }
            }

            if (status == RecordStatus.Damaged)
            {
                throw new TransactionLogCorruptException(reader.Path, reader.RecordStart, "a record's checksum or zxid order does not hold");
            }
        }
    }

    /// <summary>Deletes log files holding only records at or below <paramref name="zxid"/>.</summary>
    /// <remarks>
    /// Pass the zxid of the oldest snapshot kept. A file is deleted only when the next file starts at or below
    /// zxid + 1, so the file that holds the first transaction after that snapshot always stays (ZooKeeper's rule in
    /// PurgeTxnLog, made exact), and so does the newest file.
    /// </remarks>
    public void PurgeThrough(long zxid)
    {
        List<LogFile> doomed;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var count = 0;
            while (count + 1 < _files.Count && _files[count + 1].FirstZxid - 1 <= zxid)
            {
                count++;
            }

            doomed = _files.GetRange(0, count);
            _files.RemoveRange(0, count);
        }

        // Oldest first, so that a crash part-way leaves the log contiguous.
        foreach (var file in doomed)
        {
            File.Delete(file.Path);
            PersistenceLog.LogPurged(_logger, file.Path);
        }
    }

    /// <summary>
    /// Removes every record above <paramref name="zxid"/> (a ZAB TRUNC from the leader); appends then continue in a
    /// new file. Everything appended must have been flushed.
    /// </summary>
    public void TruncateAfter(long zxid)
    {
        _flushLock.Wait();
        try
        {
            List<LogFile> files;
            lock (_gate)
            {
                ThrowIfUnusable();
                if (_pending.Length != 0)
                {
                    throw new InvalidOperationException("Flush the transaction log before truncating it.");
                }

                files = [.. _files];
            }

            _handle?.Dispose();
            _handle = null;
            _current = null;
            long last = 0;
            // Newest first: a crash part-way leaves a log that still ends past zxid, and the leader truncates again.
            for (var i = files.Count - 1; i >= 0; i--)
            {
                var file = files[i];
                if (file.FirstZxid > zxid)
                {
                    File.Delete(file.Path);
                    lock (_gate)
                    {
                        _files.Remove(file);
                    }

                    continue;
                }

                var (end, kept) = EndOfRecordsThrough(file, zxid);
                last = kept.Count > 0 ? kept[^1] : 0;
                if (end < file.Length)
                {
                    using var handle = File.OpenHandle(file.Path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete);
                    RandomAccess.SetLength(handle, end);
                    RandomAccess.FlushToDisk(handle);
                    lock (_gate)
                    {
                        file.Length = end;
                        file.EpochEnds = kept;
                    }
                }

                break;
            }

            DirectorySync.Flush(_directory);
            lock (_gate)
            {
                _lastZxid = last;
                _startNewFile = true;
            }

            Volatile.Write(ref _durableZxid, last);
            PersistenceLog.Truncated(_logger, zxid);
        }
        finally
        {
            _flushLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        bool failed;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            failed = _failure is not null;
        }

        if (!failed)
        {
            try
            {
                await FlushAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // Logged by the flush; nothing it covered was acknowledged.
            }
        }

        await _flushLock.WaitAsync().ConfigureAwait(false);
        try
        {
            lock (_gate)
            {
                _disposed = true;
                _pending.Release();
            }

            _spare?.Release();
            _handle?.Dispose();
        }
        finally
        {
            _flushLock.Release();
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_failure is not null)
        {
            throw new IOException("An earlier write to the transaction log failed; it accepts no more writes.", _failure);
        }
    }

    private void WriteBatch(Batch batch)
    {
        var segments = batch.Segments;
        for (var i = 0; i < segments.Count; i++)
        {
            var segment = segments[i];
            var end = i + 1 < segments.Count ? segments[i + 1].Start : batch.Length;
            var bytes = batch.Buffer.AsSpan(segment.Start, end - segment.Start);
            var newFile = segment.NewFileZxid != 0;
            if (newFile)
            {
                _handle?.Dispose();
                var path = Path.Combine(_directory, LogFormat.FileName(segment.NewFileZxid));
                _handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete);
                _current = new LogFile(path, segment.NewFileZxid, 0);
            }

            var current = _current!;
            RandomAccess.Write(_handle!, bytes, current.Length);
            if (_forceSync)
            {
                RandomAccess.FlushToDisk(_handle!);
                Interlocked.Increment(ref _fsyncCount);
                if (newFile)
                {
                    DirectorySync.Flush(_directory);
                }
            }

            lock (_gate)
            {
                current.Length += bytes.Length;
                var endsStop = i + 1 < segments.Count ? segments[i + 1].FirstEnd : batch.EpochEnds.Count;
                for (var index = segment.FirstEnd; index < endsStop; index++)
                {
                    EpochEnds.Note(current.EpochEnds, batch.EpochEnds[index]);
                }

                if (newFile)
                {
                    // Listed only once its header is durable, so that readers never meet a half-made file.
                    _files.Add(current);
                }
            }
        }
    }

    /// <summary>Where the records at or below <paramref name="zxid"/> end in <paramref name="file"/>, and their epoch ends.</summary>
    private static (long End, List<long> EpochEnds) EndOfRecordsThrough(LogFile file, long zxid)
    {
        using var reader = new LogFileReader(file.Path, file.Length);
        _ = reader.ReadHeader(file.FirstZxid);
        var end = reader.Position;
        var ends = new List<long>();
        long last = 0;
        while (reader.ReadRecord(last) == RecordStatus.Record && reader.Zxid <= zxid)
        {
            last = reader.Zxid;
            end = reader.Position;
            EpochEnds.Note(ends, last);
        }

        return (end, ends);
    }

    /// <summary>Checks one file at start-up; returns it (null when it held nothing and was removed) and its last zxid.</summary>
    private static (LogFile? File, long LastZxid) Recover(string path, long firstZxid, bool isLast, long previousZxid, ILogger logger)
    {
        long truncateAt;
        long fileLength;
        long lastZxid = previousZxid;
        var ends = new List<long>();
        using (var reader = new LogFileReader(path))
        {
            fileLength = reader.Length;
            var problem = reader.ReadHeader(firstZxid);
            if (problem is not null)
            {
                if (!isLast || !problem.Torn)
                {
                    throw new TransactionLogCorruptException(path, 0, problem.Reason);
                }

                reader.Dispose();
                File.Delete(path);
                PersistenceLog.TornHeader(logger, path);
                return (null, previousZxid);
            }

            RecordStatus status;
            while ((status = reader.ReadRecord(lastZxid, lastZxid == previousZxid ? firstZxid : 0)) == RecordStatus.Record)
            {
                lastZxid = reader.Zxid;
                EpochEnds.Note(ends, lastZxid);
            }

            truncateAt = reader.RecordStart;
            if (status == RecordStatus.Damaged)
            {
                // Only the last write to the last file can have been cut short by a crash; damage anywhere else was
                // fsynced data going bad.
                if (!isLast)
                {
                    throw new TransactionLogCorruptException(path, truncateAt, "a record's checksum or zxid order does not hold");
                }

                var reason = reader.ClassifyDamage(truncateAt, lastZxid);
                if (reason is not null)
                {
                    throw new TransactionLogCorruptException(path, truncateAt, reason);
                }
            }
        }

        if (truncateAt < fileLength)
        {
            PersistenceLog.TornTail(logger, path, truncateAt, fileLength - truncateAt);
        }

        if (lastZxid == previousZxid)
        {
            File.Delete(path);
            PersistenceLog.EmptyLogRemoved(logger, path);
            return (null, lastZxid);
        }

        if (truncateAt < fileLength)
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Write);
            RandomAccess.SetLength(handle, truncateAt);
            RandomAccess.FlushToDisk(handle);
        }

        return (new LogFile(path, firstZxid, truncateAt) { EpochEnds = ends }, lastZxid);
    }

    private sealed class LogFile(string path, long firstZxid, long length)
    {
        public string Path { get; } = path;

        public long FirstZxid { get; } = firstZxid;

        /// <summary>Bytes known durable: readers stop there even while a write continues the file.</summary>
        public long Length { get; set; } = length;

        /// <summary>The last zxid of each epoch in the durable records (see <see cref="Persistence.EpochEnds"/>).</summary>
        public List<long> EpochEnds { get; set; } = [];
    }

    /// <summary>
    /// Bytes of one batch that go to one file; a batch spans files when a rollover falls inside it. Its records' epoch
    /// ends start at <see cref="FirstEnd"/> in the batch's list.
    /// </summary>
    private readonly record struct Segment(int Start, long NewFileZxid, int FirstEnd);

    /// <summary>Appended records awaiting a flush, in a pooled buffer that two batches take turns to use.</summary>
    private sealed class Batch
    {
        private const int InitialSize = 64 * 1024;

        public byte[] Buffer { get; private set; } = ArrayPool<byte>.Shared.Rent(InitialSize);

        public int Length { get; private set; }

        public List<Segment> Segments { get; } = [];

        public List<long> EpochEnds { get; } = [];

        public long LastZxid { get; set; }

        public Span<byte> Reserve(int size)
        {
            if (Buffer.Length - Length < size)
            {
                var bigger = ArrayPool<byte>.Shared.Rent(checked(Math.Max(Buffer.Length * 2, Length + size)));
                Buffer.AsSpan(0, Length).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = bigger;
            }

            var span = Buffer.AsSpan(Length, size);
            Length += size;
            return span;
        }

        public void Reset()
        {
            Length = 0;
            Segments.Clear();
            EpochEnds.Clear();
            // A burst grew the buffer; give the memory back rather than hold it for good.
            if (Buffer.Length > 16 * InitialSize)
            {
                ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = ArrayPool<byte>.Shared.Rent(InitialSize);
            }
        }

        public void Release()
        {
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = [];
            Length = 0;
        }
    }
}
