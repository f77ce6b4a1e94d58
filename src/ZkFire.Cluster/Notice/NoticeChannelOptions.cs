namespace ZkFire.Cluster.Notice;

/// <summary>Settings of a <see cref="NoticeChannel"/> (cluster.xml's <c>&lt;notice&gt;</c> and <c>&lt;cluster&gt;</c>).</summary>
public sealed record NoticeChannelOptions
{
    /// <summary>This node's id, as its membership registration and its peers name it.</summary>
    public required string NodeId { get; init; }

    /// <summary>The address the notice port binds (an address literal or a host name).</summary>
    public string ListenHost { get; init; } = "0.0.0.0";

    /// <summary>The notice port; 0 picks a free one (see <see cref="INoticeChannel.LocalEndPoint"/>).</summary>
    public int ListenPort { get; init; }

    /// <summary>The secret nodes prove to each other (at least 16 bytes); null: links are accepted by address only.</summary>
    public byte[]? Secret { get; init; }

    /// <summary>The largest envelope sent or accepted, in bytes.</summary>
    public int MaxMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Envelopes waiting per peer (while its link is down, or slow); also how many received events may wait unread.</summary>
    public int QueueLength { get; init; } = 65_536;

    /// <summary>Time to open a TCP connection to a peer.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Time to finish the handshake; a connection still unproven after it is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>A link that has heard nothing for this long sends a ping.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A ping not answered within this closes the link (it is then re-established).</summary>
    public TimeSpan PongTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The first pause before redialling a peer; it doubles after each failure ...</summary>
    public TimeSpan MinReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>... up to this. Each pause is shortened by a random part of up to half, so nodes do not redial in step.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(10);
}
