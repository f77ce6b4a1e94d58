using Microsoft.Extensions.Logging;
using ZkFire.Jute;

namespace ZkFire.ZooKeeper.Client;

public sealed class ZooKeeperClientOptions
{
    /// <summary><c>host:port[,host:port...][/chroot]</c>; IPv6 addresses in brackets; the port defaults to 2181.</summary>
    public required string ConnectString { get; init; }

    /// <summary>Requested session timeout; the server clamps it (by default to 2–20 ticks).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A session to resume (with <see cref="SessionPassword"/>), or 0 for a new one.</summary>
    public long SessionId { get; init; }

    public ReadOnlyMemory<byte> SessionPassword { get; init; }

    /// <summary>
    /// Receives session state events (<see cref="EventType.None"/>) and, like every registered watcher, is told of
    /// Disconnected, SyncConnected, Expired and Closed.
    /// </summary>
    public Func<WatchedEvent, Task>? DefaultWatcher { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Accept a server that lost its quorum and serves reads only.</summary>
    public bool CanBeReadOnly { get; init; }

    /// <summary>jute.maxbuffer: the largest reply frame accepted; a larger one drops the connection.</summary>
    public int MaxBuffer { get; init; } = JuteFrames.DefaultMaxFrameLength;
}
