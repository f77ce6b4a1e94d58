namespace ZkFire.Configuration;

/// <summary>
/// A parsed cluster.xml (the <c>&lt;jive&gt;</c> document). <see cref="SourcePath"/> is the file's full path; relative
/// paths are already resolved against its folder.
/// </summary>
public sealed record ClusterConfig(
    string SourcePath,
    HostPort? Notice,
    ZooConfig? Zoo,
    string? ZClient,
    XmppConfig Xmpp,
    ClusterSettings Cluster)
{
    /// <summary>
    /// Where this node's cluster layer finds ZooKeeper: <c>&lt;zClient&gt;</c> when given, else the embedded member's
    /// client port on this host; null when there is neither (the node then serves XMPP alone).
    /// </summary>
    public string? CoordinationConnectString => ZClient ?? (Zoo is { } zoo
        ? new HostPort(EmbeddedClientHost(zoo), zoo.ClientPort).ToString()
        : null);

    /// <summary>A node is a cluster member when it has a notice address and a ZooKeeper to register with.</summary>
    public bool IsClustered => Notice is not null && CoordinationConnectString is not null;

    private static string EmbeddedClientHost(ZooConfig zoo) =>
        zoo.Properties.TryGetValue("clientPortAddress", out var address) && address is not ("0.0.0.0" or "::")
            ? address
            : "127.0.0.1";
}

/// <summary>
/// The cluster layer (<c>&lt;cluster&gt;</c>, optional). <see cref="NodeId"/> is null when not given: the notice address
/// then names the node. <see cref="SecretFile"/> holds the secret nodes prove to each other on notice links; without
/// it, links are accepted only from registered members' addresses. <see cref="ForwardWait"/> bounds how long a stanza
/// for another node's session waits for room in that node's notice queue before its sender gets an error.
/// </summary>
public sealed record ClusterSettings(
    string Root,
    string? NodeId,
    string? SecretFile,
    TimeSpan SessionTimeout,
    int MaxNoticeMessageBytes,
    int NoticeQueueLength,
    TimeSpan ForwardWait);

public sealed record HostPort(string Host, int Port)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// The embedded ZooKeeper member (<c>&lt;zoo&gt;</c>). <see cref="Properties"/> holds every zoo.cfg key given, by its
/// zoo.cfg name (child elements and <c>&lt;property name=".."&gt;</c> alike), with dataDir and dataLogDir resolved; the
/// typed keys (tickTime, initLimit, syncLimit, dataDir, clientPort) always hold their effective value, defaults
/// included. myid and server.N are not in it (see <see cref="MyId"/> and <see cref="Servers"/>).
/// </summary>
public sealed record ZooConfig(
    int TickTime,
    int InitLimit,
    int SyncLimit,
    string DataDir,
    int ClientPort,
    int? MyId,
    IReadOnlyList<ZooServer> Servers,
    IReadOnlyDictionary<string, string> Properties)
{
    public bool IsStandalone => Servers.Count == 0;
}

/// <summary>One <c>&lt;server name="server.N"&gt;host:quorumPort:electionPort[:role]&lt;/server&gt;</c>.</summary>
public sealed record ZooServer(int Id, string Host, int QuorumPort, int ElectionPort, string Role);

public enum RegistrationPolicy
{
    Closed,
    Open,
}

public sealed record TlsConfig(
    string? CertificatePath,
    string? KeyPath,
    string? CertificatePassword,
    bool Required,
    bool AllowPlaintextOnLoopback);

public sealed record StorageConfig(string Provider, string? SqlitePath, string? ConnectionString);

public sealed record XmppLimitsConfig(
    int MaxStanzaBytes,
    int MaxDepth,
    int MaxAttributes,
    TimeSpan StreamOpenTimeout,
    TimeSpan IdleTimeout,
    TimeSpan PingTimeout,
    int OfflineQuota,
    int AuthFailuresPerAccount,
    int AuthFailuresPerAddress,
    TimeSpan AuthFailureWindow);

/// <summary>The XMPP service (<c>&lt;xmpp&gt;</c>). <see cref="DataDir"/> is where the node keeps its own files.</summary>
public sealed record XmppConfig(
    string Domain,
    string ListenAddress,
    int C2sPort,
    int DirectTlsPort,
    string DataDir,
    TlsConfig Tls,
    StorageConfig Storage,
    RegistrationPolicy Registration,
    XmppLimitsConfig Limits);
