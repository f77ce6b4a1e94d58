namespace ZkFire.Interconnect;

/// <summary>Settings of a <see cref="LinkEndpoint"/>: who this side is, how it proves it, and the links' limits.</summary>
public sealed record LinkEndpointOptions
{
    /// <summary>This side's id as the handshake carries it (a quorum member's myid, a cluster node's id).</summary>
    public required string LocalId { get; init; }

    /// <summary>The shared secret (at least 16 bytes); null: peers are admitted by address only.</summary>
    public byte[]? Secret { get; init; }

    /// <summary>Where the secret is configured, as refusals name it (<c>quorum.auth.secretFile</c>).</summary>
    public string SecretSetting { get; init; } = "shared secret";

    /// <summary>What a peer is called in logs and errors (<c>member</c>, <c>node</c>).</summary>
    public string PeerNoun { get; init; } = "peer";

    /// <summary>The largest frame accepted or sent, in bytes (length prefix excluded).</summary>
    public int MaxMessageSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Time to open a TCP connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Time to finish the handshake once connected; a connection still unproven after it is closed.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Sending waits while more than this many bytes wait in DotNetty's outbound buffer ...</summary>
    public int SendHighWater { get; init; } = 2 * 1024 * 1024;

    /// <summary>... until they drop below this.</summary>
    public int SendLowWater { get; init; } = 1024 * 1024;

    /// <summary>The socket is no longer read while more than this many received bytes wait unread ...</summary>
    public int ReceiveHighWater { get; init; } = 8 * 1024 * 1024;

    /// <summary>... until they drop below this.</summary>
    public int ReceiveLowWater { get; init; } = 4 * 1024 * 1024;
}
