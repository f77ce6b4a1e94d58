namespace ZkFire.Cluster.Notice;

/// <summary>Settings of a <see cref="NoticeChannel"/>.</summary>
public sealed record NoticeChannelOptions
{
    /// <summary>This node's id, as peers know it from the membership.</summary>
    public required string NodeId { get; init; }

    /// <summary>The address to listen on (an IP address or a name of this host).</summary>
    public required string ListenHost { get; init; }

    /// <summary>The port to listen on; 0 picks a free one.</summary>
    public required int ListenPort { get; init; }

    /// <summary>The cluster secret (at least 16 bytes); null: peers are admitted by their registered address only.</summary>
    public byte[]? Secret { get; init; }

    /// <summary>The largest envelope sent or accepted, in bytes.</summary>
    public int MaxMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Envelopes queued per peer while its link is slow or down; past it, TrySend fails and SendAsync waits.</summary>
    public int QueueLength { get; init; } = 65_536;

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A link silent this long is pinged.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A link silent this long after the ping is closed (and redialled).</summary>
    public TimeSpan PongTimeout { get; init; } = TimeSpan.FromSeconds(6);

    public TimeSpan MinReconnectBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxReconnectBackoff { get; init; } = TimeSpan.FromSeconds(5);
}
