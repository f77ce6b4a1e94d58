using System.Globalization;
using ZkFire.ZooKeeper.Server.Quorum;

namespace ZkFire.ZooKeeper.Server;

/// <summary>
/// Settings of the embedded ZooKeeper member, named and defaulted as in ZooKeeper 3.8's zoo.cfg so that an
/// existing zoo.cfg translates key for key (cluster.xml's <c>&lt;zoo&gt;</c> children and <c>&lt;property&gt;</c>s).
/// </summary>
public sealed class ZooKeeperServerOptions
{
    public const int DefaultMaxBuffer = 0xfffff;

    /// <summary>Default <c>quorum.maxMessageSize</c>: room for a 1 MiB snapshot piece or a proposal of a full jute.maxbuffer.</summary>
    public const int DefaultQuorumMaxMessageSize = 4 * 1024 * 1024;

    /// <summary>The smallest <c>quorum.maxMessageSize</c>: the ZAB core sends snapshots in pieces of up to 1 MiB.</summary>
    public const int MinQuorumMaxMessageSize = 2 * 1024 * 1024;

    public required string DataDir { get; set; }

    /// <summary>Transaction logs; ZooKeeper puts them in <see cref="DataDir"/> unless dataLogDir says otherwise.</summary>
    public string? DataLogDir { get; set; }

    public int ClientPort { get; set; } = 2181;

    /// <summary>Address the client port binds to; null for every interface, as ZooKeeper does.</summary>
    public string? ClientPortAddress { get; set; }

    public int TickTime { get; set; } = 2000;

    /// <summary>Lower bound of negotiated session timeouts; ZooKeeper's default is 2 × tickTime.</summary>
    public int? MinSessionTimeout { get; set; }

    /// <summary>Upper bound of negotiated session timeouts; ZooKeeper's default is 20 × tickTime.</summary>
    public int? MaxSessionTimeout { get; set; }

    /// <summary>Concurrent connections per client address; 0 means unlimited (ZooKeeper's default is 60).</summary>
    public int MaxClientConnections { get; set; } = 60;

    /// <summary><c>jute.maxbuffer</c>: the largest request or reply packet, in bytes.</summary>
    public int MaxBuffer { get; set; } = DefaultMaxBuffer;

    /// <summary><c>4lw.commands.whitelist</c>; ZooKeeper 3.8 enables only <c>srvr</c> by default, <c>*</c> enables all.</summary>
    public IReadOnlySet<string> FourLetterWords { get; set; } = new HashSet<string>(StringComparer.Ordinal) { "srvr" };

    /// <summary>Transactions between snapshots (ZooKeeper randomises around half of it to spread snapshots).</summary>
    public int SnapCount { get; set; } = 100_000;

    /// <summary><c>autopurge.snapRetainCount</c>: snapshots (and the logs they need) kept when purging; at least 3.</summary>
    public int SnapRetainCount { get; set; } = 3;

    /// <summary><c>autopurge.purgeInterval</c> in hours; 0 disables purging.</summary>
    public int PurgeIntervalHours { get; set; }

    /// <summary><c>znode.container.checkIntervalMs</c>: how often empty containers are looked for.</summary>
    public TimeSpan ContainerCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary><c>znode.container.maxPerMinute</c>: deletions the container reaper may issue per minute.</summary>
    public int ContainerMaxPerMinute { get; set; } = 10_000;

    /// <summary><c>zookeeper.extendedTypesEnabled</c>: TTL nodes are refused with Unimplemented unless true.</summary>
    public bool ExtendedTypesEnabled { get; set; }

    /// <summary><c>forceSync</c>: fsync the transaction log before acknowledging writes (ZooKeeper's default).</summary>
    public bool ForceSync { get; set; } = true;

    /// <summary>
    /// <c>myid</c>: this member's number in an ensemble, 0 for a standalone server. It is the top byte of every session
    /// id the member creates (a standalone server uses 1 there, as ZooKeeper does), so it must stay below 255.
    /// </summary>
    public long ServerId { get; set; }

    /// <summary>
    /// <c>zookeeper.DigestAuthenticationProvider.superDigest</c>: a digest id (<c>super:base64</c>) whose holder passes
    /// every ACL check; null disables the super user.
    /// </summary>
    public string? SuperDigest { get; set; }

    /// <summary>
    /// The ensemble (<c>server.N</c> entries); empty for a standalone member. Not read from zoo.cfg keys: the host maps
    /// cluster.xml's <c>&lt;server&gt;</c> elements to it. When not empty it must list <see cref="ServerId"/>.
    /// </summary>
    public IReadOnlyList<QuorumMember> Servers { get; set; } = [];

    /// <summary><c>initLimit</c>: ticks a learner may take to connect to the leader and sync with it.</summary>
    public int InitLimit { get; set; } = 10;

    /// <summary><c>syncLimit</c>: ticks a learner may fall behind (no answer to the leader) before it is dropped.</summary>
    public int SyncLimit { get; set; } = 5;

    /// <summary>
    /// <c>quorum.auth.secretFile</c>: a file holding the secret every member shares (at least 16 bytes; trailing
    /// whitespace and line breaks are ignored), with which members prove themselves to each other. Null: members are
    /// recognised only by their IP address, which is not authentication.
    /// </summary>
    public string? QuorumSecretFile { get; set; }

    /// <summary>
    /// <c>quorum.maxMessageSize</c>: the largest message between members, in bytes; a larger frame closes its link.
    /// Default 4 MiB, or jute.maxbuffer + 64 KiB when that is larger.
    /// </summary>
    public int QuorumMaxMessageSize { get; set; } = DefaultQuorumMaxMessageSize;

    /// <summary>
    /// <c>cnxTimeout</c>: the time a connection between members may take to open and authenticate before it is
    /// dropped (ZooKeeper's default, 5 s).
    /// </summary>
    public TimeSpan QuorumConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>initLimit ticks: the time a learner has to connect to its leader and sync.</summary>
    public TimeSpan InitTimeout => TimeSpan.FromMilliseconds((long)TickTime * InitLimit);

    /// <summary>syncLimit ticks: the longest a leader and a follower may go without hearing from each other.</summary>
    public TimeSpan SyncTimeout => TimeSpan.FromMilliseconds((long)TickTime * SyncLimit);

    public int EffectiveMinSessionTimeout => MinSessionTimeout ?? 2 * TickTime;

    public int EffectiveMaxSessionTimeout => MaxSessionTimeout ?? 20 * TickTime;

    /// <summary>
    /// Reads zoo.cfg keys. Keys this server does not use are ignored (ZooKeeper passes them through as system
    /// properties); a malformed value of a key it uses throws <see cref="FormatException"/> naming the key.
    /// </summary>
    public static ZooKeeperServerOptions FromProperties(IReadOnlyDictionary<string, string> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        string Required(string key) =>
            properties.TryGetValue(key, out var value) && value.Length > 0 ? value : throw new FormatException($"{key} is required.");

        var options = new ZooKeeperServerOptions { DataDir = Required("dataDir") };
        options.ClientPort = Int(properties, "clientPort", 1, 65535) ?? throw new FormatException("clientPort is required.");
        options.DataLogDir = properties.GetValueOrDefault("dataLogDir");
        options.ClientPortAddress = properties.GetValueOrDefault("clientPortAddress");
        options.TickTime = Int(properties, "tickTime", 1, int.MaxValue) ?? options.TickTime;
        options.MinSessionTimeout = Int(properties, "minSessionTimeout", 0, int.MaxValue) is { } min and > 0 ? min : null;
        options.MaxSessionTimeout = Int(properties, "maxSessionTimeout", 0, int.MaxValue) is { } max and > 0 ? max : null;
        options.MaxClientConnections = Int(properties, "maxClientCnxns", 0, int.MaxValue) ?? options.MaxClientConnections;
        options.MaxBuffer = Int(properties, "jute.maxbuffer", 1024, int.MaxValue) ?? options.MaxBuffer;
        options.SnapCount = Int(properties, "snapCount", 2, int.MaxValue) ?? options.SnapCount;
        options.SnapRetainCount = Math.Max(3, Int(properties, "autopurge.snapRetainCount", 1, int.MaxValue) ?? options.SnapRetainCount);
        options.PurgeIntervalHours = Int(properties, "autopurge.purgeInterval", 0, int.MaxValue) ?? 0;
        options.ContainerCheckInterval = TimeSpan.FromMilliseconds(
            Int(properties, "znode.container.checkIntervalMs", 1, int.MaxValue) ?? (int)options.ContainerCheckInterval.TotalMilliseconds);
        options.ContainerMaxPerMinute = Int(properties, "znode.container.maxPerMinute", 1, int.MaxValue) ?? options.ContainerMaxPerMinute;
        options.ExtendedTypesEnabled = Bool(properties, "zookeeper.extendedTypesEnabled") ?? false;
        options.ForceSync = Bool(properties, "forceSync") ?? true;
        options.SuperDigest = properties.GetValueOrDefault("zookeeper.DigestAuthenticationProvider.superDigest");
        options.InitLimit = Int(properties, "initLimit", 1, int.MaxValue) ?? options.InitLimit;
        options.SyncLimit = Int(properties, "syncLimit", 1, int.MaxValue) ?? options.SyncLimit;
        options.QuorumSecretFile = properties.GetValueOrDefault("quorum.auth.secretFile") is { Length: > 0 } secretFile ? secretFile : null;
        var maxMessageSize = Int(properties, "quorum.maxMessageSize", MinQuorumMaxMessageSize, int.MaxValue);
        options.QuorumMaxMessageSize = maxMessageSize ?? (int)Math.Min(int.MaxValue, Math.Max(DefaultQuorumMaxMessageSize, (long)options.MaxBuffer + QuorumMessageOverhead));
        options.QuorumConnectTimeout = TimeSpan.FromMilliseconds(
            Int(properties, "cnxTimeout", 1, int.MaxValue) ?? (int)options.QuorumConnectTimeout.TotalMilliseconds);
        if (properties.TryGetValue("4lw.commands.whitelist", out var whitelist))
        {
            options.FourLetterWords = whitelist
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .ToHashSet(StringComparer.Ordinal);
        }

        if (options.EffectiveMinSessionTimeout > options.EffectiveMaxSessionTimeout)
        {
            throw new FormatException("minSessionTimeout must not be larger than maxSessionTimeout.");
        }

        // A proposal carries a whole transaction, so a member must accept frames a little larger than any request.
        if (maxMessageSize < (long)options.MaxBuffer + QuorumMessageOverhead)
        {
            throw new FormatException(
                $"quorum.maxMessageSize ({options.QuorumMaxMessageSize}) must exceed jute.maxbuffer ({options.MaxBuffer}) by at least {QuorumMessageOverhead} bytes.");
        }

        return options;
    }

    /// <summary>
    /// Checks the ensemble: when <see cref="Servers"/> is not empty, its ids are distinct and one of them is
    /// <see cref="ServerId"/>. Throws <see cref="FormatException"/> naming the problem.
    /// </summary>
    public void ValidateEnsemble()
    {
        if (Servers.Count == 0)
        {
            return;
        }

        if (Servers.GroupBy(s => s.Id).FirstOrDefault(g => g.Count() > 1) is { } repeated)
        {
            throw new FormatException($"server.{repeated.Key} is listed more than once.");
        }

        if (Servers.All(s => s.Id != ServerId))
        {
            throw new FormatException(
                $"myid is {ServerId}, but no server.{ServerId} is listed (listed: {string.Join(", ", Servers.Select(s => s.Id))}).");
        }
    }

    /// <summary>
    /// Whether a four-letter word may be answered: <c>*</c> in the whitelist allows every word, and <c>srvr</c> is always
    /// allowed because ZooKeeper's own scripts (zkServer.sh status) depend on it, whatever the whitelist says.
    /// </summary>
    public bool AllowsFourLetterWord(string word) =>
        word == "srvr" || FourLetterWords.Contains("*") || FourLetterWords.Contains(word);

    private const int QuorumMessageOverhead = 64 * 1024;

    private static int? Int(IReadOnlyDictionary<string, string> properties, string key, int min, int max)
    {
        if (!properties.TryGetValue(key, out var text))
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new FormatException($"{key} must be an integer from {min} to {max}, got '{text}'.");
    }

    private static bool? Bool(IReadOnlyDictionary<string, string> properties, string key)
    {
        if (!properties.TryGetValue(key, out var text))
        {
            return null;
        }

        // zoo.cfg booleans: true/false, and yes/no for forceSync.
        return text.Trim().ToUpperInvariant() switch
        {
            "TRUE" or "YES" => true,
            "FALSE" or "NO" => false,
            _ => throw new FormatException($"{key} must be true or false, got '{text}'."),
        };
    }
}
