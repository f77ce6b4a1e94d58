using System.Globalization;

namespace ZkFire.ZooKeeper.Server;

/// <summary>
/// Settings of the embedded ZooKeeper member, named and defaulted as in ZooKeeper 3.8's zoo.cfg so that an
/// existing zoo.cfg translates key for key (cluster.xml's <c>&lt;zoo&gt;</c> children and <c>&lt;property&gt;</c>s).
/// </summary>
public sealed class ZooKeeperServerOptions
{
    public const int DefaultMaxBuffer = 0xfffff;

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

    /// <summary>The ensemble's voting members (<c>server.N</c>); empty for a standalone member.</summary>
    public IReadOnlyList<Quorum.QuorumMember> Servers { get; set; } = [];

    /// <summary><c>initLimit</c>: ticks a follower may take to connect to its leader and sync.</summary>
    public int InitLimit { get; set; } = 10;

    /// <summary><c>syncLimit</c>: ticks a follower may lag (or stay silent) before the leader drops it, and vice versa.</summary>
    public int SyncLimit { get; set; } = 5;

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
        options.InitLimit = Int(properties, "initLimit", 1, int.MaxValue) ?? options.InitLimit;
        options.SyncLimit = Int(properties, "syncLimit", 1, int.MaxValue) ?? options.SyncLimit;
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

        return options;
    }

    /// <summary>
    /// Whether a four-letter word may be answered: <c>*</c> in the whitelist allows every word, and <c>srvr</c> is always
    /// allowed because ZooKeeper's own scripts (zkServer.sh status) depend on it, whatever the whitelist says.
    /// </summary>
    public bool AllowsFourLetterWord(string word) =>
        word == "srvr" || FourLetterWords.Contains("*") || FourLetterWords.Contains(word);

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
