using Microsoft.Extensions.Logging;

namespace ZkFire.ZooKeeper.Server.Persistence;

/// <summary>
/// Snapshot files <c>snapshot.&lt;zxid in hex&gt;</c>, each written to a temporary file, checksummed, fsynced and
/// renamed into place, so that a crash never leaves a half snapshot that looks complete.
/// </summary>
public sealed class SnapshotStore
{
    public SnapshotStore(string directory, ILogger logger) => throw new NotImplementedException();

    /// <summary>Writes a snapshot whose content <paramref name="write"/> produces; <paramref name="zxid"/> is the last zxid applied when it began.</summary>
    public Task WriteAsync(long zxid, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>The newest snapshot whose checksum holds (damaged ones are skipped with a log line), or null.</summary>
    public SnapshotReader? OpenLatestValid() => throw new NotImplementedException();

    /// <summary>Keeps the newest <paramref name="retain"/> snapshots; returns the oldest zxid still needed (logs before it can go).</summary>
    public long Purge(int retain) => throw new NotImplementedException();
}

/// <summary>A verified snapshot's content.</summary>
public sealed class SnapshotReader(long zxid, Stream content) : IDisposable
{
    public long Zxid { get; } = zxid;

    public Stream Content { get; } = content;

    public void Dispose() => Content.Dispose();
}
