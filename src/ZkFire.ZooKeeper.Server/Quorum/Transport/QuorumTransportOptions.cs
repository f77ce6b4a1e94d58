namespace ZkFire.ZooKeeper.Server.Quorum.Transport;

/// <summary>Settings of the quorum transport (the links between ensemble members).</summary>
internal sealed class QuorumTransportOptions
{
    /// <summary><see cref="ZooKeeperServerOptions.QuorumSecretFile"/>; null: members are recognised by address only.</summary>
    public string? SecretFile { get; init; }

    /// <summary>The largest frame accepted or sent, in bytes (length prefix excluded).</summary>
    public int MaxMessageSize { get; init; } = ZooKeeperServerOptions.DefaultQuorumMaxMessageSize;

    /// <summary>Time to connect and finish the handshake; a connection still silent after it is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Election notifications waiting per destination; the oldest is dropped when a new one does not fit.</summary>
    public int ElectionQueueCapacity { get; init; } = 16;

    /// <summary>Received election notifications not yet read; the oldest is dropped when a new one does not fit.</summary>
    public int ElectionInboxCapacity { get; init; } = 1024;

    /// <summary>Pause after a failed election connection before the next attempt, so a dead member costs little.</summary>
    public TimeSpan ElectionReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    public static QuorumTransportOptions From(ZooKeeperServerOptions options) => new()
    {
        SecretFile = options.QuorumSecretFile,
        MaxMessageSize = options.QuorumMaxMessageSize,
        HandshakeTimeout = options.QuorumConnectTimeout,
    };
}
