using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ZkFire.ZooKeeper.Server.Persistence;

/// <summary>
/// Snapshot files <c>snapshot.&lt;zxid in hex&gt;</c>, each written to a temporary file, checksummed, fsynced and
/// renamed into place, so that a crash never leaves a half snapshot that looks complete.
/// </summary>
/// <remarks>
/// Layout, little-endian:
/// <code>
/// header  = magic "ZKFS" (4) | version (4) | zxid (8)
/// content = what the writer produced
/// trailer = magic "ZKFE" (4) | content length (8) | crc32c of header and content (4)
/// </code>
/// The checksum sits in a trailer because the content is streamed and its length is known only at the end.
/// </remarks>
public sealed class SnapshotStore
{
    /// <summary>ZooKeeper's PurgeTxnLog floor: fewer leaves too little to fall back on when the newest is damaged.</summary>
    public const int MinimumRetained = 3;

    internal const string FilePrefix = "snapshot.";
    internal const int HeaderSize = 16;
    internal const int TrailerSize = 16;
    private const string TemporarySuffix = ".tmp";
    private const uint HeaderMagic = 0x53464B5A; // "ZKFS" as bytes on disk
    private const uint TrailerMagic = 0x45464B5A; // "ZKFE"
    private const uint Version = 1;

    private readonly string _directory;
    private readonly ILogger _logger;

    public SnapshotStore(string directory, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentNullException.ThrowIfNull(logger);
        _directory = directory;
        _logger = logger;
        Directory.CreateDirectory(directory);
    }

    /// <summary>Writes a snapshot whose content <paramref name="write"/> produces; <paramref name="zxid"/> is the last zxid applied when it began.</summary>
    public async Task WriteAsync(long zxid, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(zxid);
        ArgumentNullException.ThrowIfNull(write);
        var path = Path.Combine(_directory, FileName(zxid));
        var temporary = path + TemporarySuffix;
        try
        {
            var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                var content = new ChecksumWriteStream(file);
                var header = new byte[HeaderSize];
                BinaryPrimitives.WriteUInt32LittleEndian(header, HeaderMagic);
                BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), Version);
                BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), zxid);
                await content.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                await write(content, cancellationToken).ConfigureAwait(false);

                var trailer = new byte[TrailerSize];
                BinaryPrimitives.WriteUInt32LittleEndian(trailer, TrailerMagic);
                BinaryPrimitives.WriteInt64LittleEndian(trailer.AsSpan(4), content.Written - HeaderSize);
                BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(12), content.Checksum);
                await file.WriteAsync(trailer, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
            DirectorySync.Flush(_directory);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }

        PersistenceLog.SnapshotWritten(_logger, path);
    }

    /// <summary>The newest snapshot whose checksum holds (damaged ones are skipped with a log line), or null.</summary>
    public SnapshotReader? OpenLatestValid()
    {
        foreach (var (zxid, path) in ListNewestFirst())
        {
            var reader = TryOpen(path, zxid);
            if (reader is not null)
            {
                return reader;
            }
        }

        return null;
    }

    /// <summary>Keeps the newest <paramref name="retain"/> snapshots; returns the oldest zxid still needed (logs before it can go).</summary>
    /// <remarks>
    /// Only snapshots that verify count towards <paramref name="retain"/>, so a damaged newest snapshot never pushes
    /// out the good one that replaces it. Returns 0 when no snapshot is valid: every log is still needed.
    /// </remarks>
    public long Purge(int retain)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retain, MinimumRetained);
        var snapshots = ListNewestFirst();
        long oldestRetained = 0;
        var kept = 0;
        foreach (var (zxid, path) in snapshots)
        {
            using var reader = TryOpen(path, zxid);
            if (reader is not null)
            {
                oldestRetained = zxid;
                if (++kept == retain)
                {
                    break;
                }
            }
        }

        if (oldestRetained == 0)
        {
            return 0;
        }

        // Temporary files below the oldest kept snapshot are leftovers of writes that a crash interrupted.
        var doomed = snapshots.Where(snapshot => snapshot.Zxid < oldestRetained).Select(snapshot => snapshot.Path)
            .Concat(Directory.EnumerateFiles(_directory, FilePrefix + "*" + TemporarySuffix)
                .Where(path => TryParseName(Path.GetFileName(path)[..^TemporarySuffix.Length], out var zxid) && zxid < oldestRetained))
            .ToList();
        foreach (var path in doomed)
        {
            File.Delete(path);
            PersistenceLog.SnapshotPurged(_logger, path);
        }

        return oldestRetained;
    }

    /// <summary>The zxid of the newest snapshot file (unverified), or 0.</summary>
    public long LatestZxid() => ListNewestFirst() is [var newest, ..] ? newest.Zxid : 0;

    /// <summary>
    /// Deletes the snapshots whose zxid <paramref name="doomed"/> selects: those above a leader's TRUNC point, or
    /// every older one once a leader's SNAP replaced the history.
    /// </summary>
    public void Delete(Func<long, bool> doomed)
    {
        ArgumentNullException.ThrowIfNull(doomed);
        foreach (var (zxid, path) in ListNewestFirst().Where(snapshot => doomed(snapshot.Zxid)))
        {
            File.Delete(path);
            PersistenceLog.SnapshotPurged(_logger, path);
        }

        DirectorySync.Flush(_directory);
    }

    internal static string FileName(long zxid) => FilePrefix + zxid.ToString("x16", CultureInfo.InvariantCulture);

    private static bool TryParseName(string name, out long zxid)
    {
        zxid = 0;
        // Zero is a real snapshot zxid (an empty tree), unlike log file names.
        return name == FilePrefix + "0000000000000000" || LogFormat.TryParseFileName(name, FilePrefix, out zxid);
    }

    private List<(long Zxid, string Path)> ListNewestFirst() =>
        [.. Directory.EnumerateFiles(_directory, FilePrefix + "*")
            .Select(path => (Ok: TryParseName(Path.GetFileName(path), out var zxid), Zxid: zxid, Path: path))
            .Where(snapshot => snapshot.Ok)
            .Select(snapshot => (snapshot.Zxid, snapshot.Path))
            .OrderByDescending(snapshot => snapshot.Zxid)];

    /// <summary>Reads the file once to verify it, then hands out its content from the same handle.</summary>
    private SnapshotReader? TryOpen(string path, long zxid)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        var problem = Verify(file, zxid);
        if (problem is not null)
        {
            file.Dispose();
            PersistenceLog.SnapshotDamaged(_logger, path, problem);
            return null;
        }

        file.Position = HeaderSize;
        return new SnapshotReader(zxid, new BoundedReadStream(file, file.Length - HeaderSize - TrailerSize));
    }

    private static string? Verify(FileStream file, long zxid)
    {
        var length = file.Length;
        if (length < HeaderSize + TrailerSize)
        {
            return "shorter than header and trailer";
        }

        Span<byte> header = stackalloc byte[HeaderSize];
        file.ReadExactly(header);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header) != HeaderMagic || BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != Version)
        {
            return "not a ZkFire snapshot of a known version";
        }

        if (BinaryPrimitives.ReadInt64LittleEndian(header[8..]) != zxid)
        {
            return "its header names another zxid";
        }

        Span<byte> trailer = stackalloc byte[TrailerSize];
        RandomAccess.Read(file.SafeFileHandle, trailer, length - TrailerSize);
        if (BinaryPrimitives.ReadUInt32LittleEndian(trailer) != TrailerMagic
            || BinaryPrimitives.ReadInt64LittleEndian(trailer[4..]) != length - HeaderSize - TrailerSize)
        {
            return "trailer missing: the write did not finish";
        }

        var state = Crc32C.Update(Crc32C.Seed, header);
        var buffer = new byte[1 << 16];
        var remaining = length - HeaderSize - TrailerSize;
        while (remaining > 0)
        {
            var read = file.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
            if (read == 0)
            {
                return "shorter than it was a moment ago";
            }

            state = Crc32C.Update(state, buffer.AsSpan(0, read));
            remaining -= read;
        }

        return Crc32C.Finish(state) == BinaryPrimitives.ReadUInt32LittleEndian(trailer[12..]) ? null : "checksum mismatch";
    }
}

/// <summary>A verified snapshot's content.</summary>
public sealed class SnapshotReader(long zxid, Stream content) : IDisposable
{
    public long Zxid { get; } = zxid;

    public Stream Content { get; } = content;

    public void Dispose() => Content.Dispose();
}
