using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Microsoft.Extensions.Logging;

namespace ZkFire.Configuration;

/// <summary>
/// Reads cluster.xml (root <c>&lt;jive&gt;</c>). Every element, its default and its valid range is described in the
/// configuration reference of the project README. Unknown elements are logged as warnings; an invalid value throws
/// <see cref="ConfigurationException"/> naming the file, line, column and element.
/// </summary>
public static partial class ClusterConfigReader
{
    public static ClusterConfig Load(string path, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ConfigurationException($"{path}: configuration file not found (looked for {Path.GetFullPath(path)})", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"{path}: cannot read configuration file: {e.Message}", e);
        }

        // Bytes, not text, go to the XML reader so that it honours the encoding the file declares. Latin-1 maps one
        // byte to one char, so lines counted in it are right for any ASCII-compatible encoding.
        return Read(XmlReader.Create(new MemoryStream(bytes), ReaderSettings()), () => Encoding.Latin1.GetString(bytes), path, logger);
    }

    /// <summary>Parses text; <paramref name="sourcePath"/> names the file in errors and anchors relative paths.</summary>
    public static ClusterConfig Parse(string xml, string sourcePath, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(xml);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourcePath);
        return Read(XmlReader.Create(new StringReader(xml), ReaderSettings()), () => xml, sourcePath, logger);
    }

    private static XmlReaderSettings ReaderSettings() => new() { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, CloseInput = true };

    private static ClusterConfig Read(XmlReader reader, Func<string> text, string sourcePath, ILogger logger)
    {
        XDocument document;
        using (reader)
        {
            try
            {
                document = XDocument.Load(reader, LoadOptions.SetLineInfo);
            }
            catch (XmlException e)
            {
                throw MalformedXml(e, text, sourcePath);
            }
        }

        return new Reader(sourcePath, logger).Config(document.Root!);
    }

    private static ConfigurationException MalformedXml(XmlException e, Func<string> text, string sourcePath)
    {
        if (e.LineNumber > 0)
        {
            return new ConfigurationException($"{sourcePath}:{e.LineNumber}:{e.LinePosition}: malformed XML: {LinePositionSuffix().Replace(e.Message, "")}", e);
        }

        // XmlReader reports a prohibited DTD without a position, so the DOCTYPE is located in the text.
        var source = text();
        var at = source.IndexOf("<!DOCTYPE", StringComparison.Ordinal);
        if (at < 0)
        {
            return new ConfigurationException($"{sourcePath}: malformed XML: {e.Message}", e);
        }

        var line = 1 + source.AsSpan(0, at).Count('\n');
        var column = at - source.LastIndexOf('\n', at);
        return new ConfigurationException($"{sourcePath}:{line}:{column}: <!DOCTYPE> is not allowed: cluster.xml takes no DTD and no entity declarations", e);
    }

    [GeneratedRegex(@"\s*Line \d+, position \d+\.$")]
    private static partial Regex LinePositionSuffix();

    [GeneratedRegex(@"^[A-Za-z]:[/\\]")]
    private static partial Regex WindowsDrivePath();

    private sealed class Reader(string sourcePath, ILogger logger)
    {
        private const string PortNumber = "a port number";

        // The settings of ZooKeeper 3.8's zoo.cfg, plus ZkFire's quorum.maxMessageSize and quorum.auth.* (matched by prefix). Anything else in <zoo> is
        // either a typo (as an element: warned and ignored) or a deliberate pass-through (as <property>: kept).
        private static readonly HashSet<string> ZooKeys = new(StringComparer.Ordinal)
        {
            "tickTime", "initLimit", "syncLimit", "dataDir", "dataLogDir", "clientPort", "clientPortAddress",
            "secureClientPort", "secureClientPortAddress", "maxClientCnxns", "maxCnxns", "minSessionTimeout",
            "maxSessionTimeout", "autopurge.snapRetainCount", "autopurge.purgeInterval", "4lw.commands.whitelist",
            "jute.maxbuffer", "globalOutstandingLimit", "preAllocSize", "snapCount", "snapSizeLimitInKb",
            "txnLogSizeLimitInKb", "electionAlg", "electionPortBindRetry", "quorumListenOnAllIPs", "standaloneEnabled",
            "reconfigEnabled", "dynamicConfigFile", "admin.enableServer", "admin.serverAddress", "admin.serverPort",
            "admin.idleTimeout", "admin.commandURL", "znode.container.checkIntervalMs", "znode.container.maxPerMinute",
            "zookeeper.extendedTypesEnabled", "syncEnabled", "forceSync", "fsync.warningthresholdms", "leaderServes",
            "cnxTimeout", "connectToLearnerMasterLimit", "peerType", "skipACL", "localSessionsEnabled",
            "localSessionsUpgradingEnabled", "sslQuorum", "portUnification", "serverCnxnFactory",
            "metricsProvider.className", "multiAddress.enabled", "audit.enable", "quorum.maxMessageSize",
        };

        private static readonly string[] ZooPathKeys = ["dataDir", "dataLogDir", "quorum.auth.secretFile"];
        private static readonly string[] RootElements = ["notice", "zoo", "zClient", "xmpp", "cluster"];
        private static readonly string[] ClusterElements = ["root", "nodeId", "secretFile", "sessionTimeoutSeconds", "maxNoticeMessageBytes", "noticeQueueLength", "forwardWaitMilliseconds"];
        private static readonly string[] XmppElements = ["domain", "listen", "c2sPort", "directTlsPort", "dataDir", "tls", "storage", "registration", "limits"];
        private static readonly string[] TlsElements = ["certificate", "key", "password", "required", "allowPlaintextOnLoopback"];
        private static readonly string[] StorageElements = ["path", "connectionString"];

        private static readonly string[] LimitElements =
        [
            "maxStanzaBytes", "maxDepth", "maxAttributes", "streamOpenTimeoutSeconds", "idleTimeoutSeconds", "pingTimeoutSeconds",
            "offlineQuota", "authFailuresPerAccount", "authFailuresPerAddress", "authFailureWindowSeconds",
        ];

        private readonly string baseDirectory = Path.GetDirectoryName(Path.GetFullPath(sourcePath)) ?? Directory.GetCurrentDirectory();

        public ClusterConfig Config(XElement root)
        {
            if (root.Name != "jive")
            {
                throw Error(root, "is not the root element cluster.xml expects: <jive>");
            }

            var found = Children(root, RootElements);
            var zoo = Get<ZooConfig?>(found, "zoo", Zoo, null);
            return new ClusterConfig(
                Path.GetFullPath(sourcePath),
                Get<HostPort?>(found, "notice", Notice, null),
                zoo,
                Get<string?>(found, "zClient", ConnectString, null),
                Xmpp(found.GetValueOrDefault("xmpp"), zoo),
                Cluster(found.GetValueOrDefault("cluster")));
        }

        private ClusterSettings Cluster(XElement? cluster)
        {
            var found = Children(cluster, ClusterElements);
            return new ClusterSettings(
                Get(found, "root", ClusterRoot, "/zkfire"),
                Get<string?>(found, "nodeId", NodeId, null),
                Get<string?>(found, "secretFile", e => Resolve(Text(e), baseDirectory), null),
                TimeSpan.FromSeconds(Get(found, "sessionTimeoutSeconds", e => Int(e, 1, 3600), 10)),
                Get(found, "maxNoticeMessageBytes", e => Int(e, 64 * 1024, 256 * 1024 * 1024), 16 * 1024 * 1024),
                Get(found, "noticeQueueLength", e => Int(e, 16, 10_000_000), 65_536),
                TimeSpan.FromMilliseconds(Get(found, "forwardWaitMilliseconds", e => Int(e, 0, 60_000), 5_000)));
        }

        private string ClusterRoot(XElement e)
        {
            var text = Text(e);
            return text.StartsWith('/') && text.Length > 1 && IsChroot(text) && !text.EndsWith('/') ? text
                : throw Error(e, $"must be an absolute znode path such as /zkfire, got '{text}'");
        }

        private string NodeId(XElement e)
        {
            var text = Text(e);
            return text.Length <= 255 && !text.Contains('/', StringComparison.Ordinal) && text is not ("." or "..") && text.All(c => !char.IsControl(c) && !char.IsWhiteSpace(c))
                ? text
                : throw Error(e, $"must be one znode name (no '/', blanks or control characters, at most 255 characters), got '{text}'");
        }

        private HostPort Notice(XElement e)
        {
            var text = Text(e);
            return ParseHostPort(text) ?? throw Error(e, $"must be host:port (IPv6 as [::1]:3004), got '{text}'");
        }

        /// <summary>ZooKeeper's connect string, with the blanks around its commas removed.</summary>
        private string ConnectString(XElement e)
        {
            var text = Text(e);
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            var hosts = (slash < 0 ? text : text[..slash]).Split(',', StringSplitOptions.TrimEntries);
            var chroot = slash < 0 ? "" : text[slash..];
            if (hosts.Any(h => ParseHostPort(h) is null) || !IsChroot(chroot))
            {
                throw Error(e, $"must be host:port[,host:port...][/chroot] (IPv6 as [::1]:2181, chroot like /zkfire), got '{text}'");
            }

            return string.Join(',', hosts) + chroot;
        }

        // ZooKeeper's own rule: "/" is the same as no chroot; otherwise no empty, "." or ".." segments.
        private static bool IsChroot(string chroot) =>
            chroot.Length <= 1 || chroot[1..].Split('/').All(s => s.Length > 0 && s != "." && s != "..");

        private ZooConfig Zoo(XElement zoo)
        {
            // Every key=value setting by its zoo.cfg name, whichever form (child element or <property>) gave it.
            var settings = new Dictionary<string, XElement>(StringComparer.Ordinal);
            var serverElements = new Dictionary<int, XElement>();
            var servers = new List<ZooServer>();
            foreach (var child in zoo.Elements())
            {
                var name = child.Name.Namespace == XNamespace.None ? child.Name.LocalName : "";
                if (name == "server")
                {
                    var server = Server(child);
                    if (!serverElements.TryAdd(server.Id, child))
                    {
                        throw Error(child, $"repeats server.{server.Id} (first at line {Line(serverElements[server.Id])})");
                    }

                    servers.Add(server);
                }
                else if (name == "property")
                {
                    AddSetting(settings, PropertyKey(child), child);
                }
                else if (IsZooSetting(name))
                {
                    AddSetting(settings, name, child);
                }
                else
                {
                    Warn(child, "unknown element");
                }
            }

            var dataDir = settings.TryGetValue("dataDir", out var dataDirElement) ? Resolve(Text(dataDirElement), baseDirectory)
                : throw Error(zoo, "requires <dataDir> (the member's snapshot and transaction log folder)");
            var clientPort = settings.TryGetValue("clientPort", out var clientPortElement) ? Int(clientPortElement, 1, 65535, PortNumber)
                : throw Error(zoo, "requires <clientPort> (the port ZooKeeper clients connect to)");
            var tickTime = Get(settings, "tickTime", e => Int(e, 1, int.MaxValue), 2000);
            var initLimit = Get(settings, "initLimit", e => Int(e, 1, int.MaxValue), 10);
            var syncLimit = Get(settings, "syncLimit", e => Int(e, 1, int.MaxValue), 5);
            int? myId = settings.TryGetValue("myid", out var myIdElement) ? Int(myIdElement, 1, 255) : null;
            if (servers.Count > 0 && myId is null)
            {
                throw Error(zoo, "lists <server> entries, so it requires <myid> (this member's N in server.N)");
            }

            if (myId is { } id && servers.Count > 0 && !serverElements.ContainsKey(id))
            {
                throw Error(myIdElement!, $"is {id}, but no <server name=\"server.{id}\"> is listed (listed: {string.Join(", ", serverElements.Keys)})");
            }

            var properties = settings.Where(s => s.Key != "myid").ToDictionary(
                s => s.Key,
                s => ZooPathKeys.Contains(s.Key) ? Resolve(Text(s.Value), baseDirectory) : Text(s.Value),
                StringComparer.Ordinal);

            // Typed keys hold their effective value, defaults included, so that Properties with Servers and MyId is a
            // complete zoo.cfg (ZooKeeper itself has no default for tickTime).
            foreach (var (key, value) in new[] { ("tickTime", tickTime), ("initLimit", initLimit), ("syncLimit", syncLimit), ("clientPort", clientPort) })
            {
                properties[key] = value.ToString(CultureInfo.InvariantCulture);
            }

            return new ZooConfig(tickTime, initLimit, syncLimit, dataDir, clientPort, myId, servers, properties);
        }

        private static bool IsZooSetting(string key) =>
            key == "myid" || ZooKeys.Contains(key) || key.StartsWith("quorum.auth.", StringComparison.Ordinal);

        private string PropertyKey(XElement property)
        {
            var key = property.Attribute("name")?.Value.Trim();
            if (string.IsNullOrEmpty(key))
            {
                throw Error(property, "needs a name=\"zoo.cfg key\" attribute");
            }

            if (key.StartsWith("server.", StringComparison.Ordinal))
            {
                throw Error(property, $"cannot set {key}: write <server name=\"{key}\">host:quorumPort:electionPort</server>");
            }

            if (!IsZooSetting(key) && logger.IsEnabled(LogLevel.Information))
            {
                logger.LogInformation("{Location}: zoo.cfg key '{Key}' is not one ZkFire knows; kept as given", Location(property), key);
            }

            return key;
        }

        private void AddSetting(Dictionary<string, XElement> settings, string key, XElement element)
        {
            if (!settings.TryAdd(key, element))
            {
                throw Error(element, $"sets {key} again (first set at line {Line(settings[key])})");
            }
        }

        private ZooServer Server(XElement e)
        {
            var name = e.Attribute("name")?.Value.Trim();
            if (name is null || !name.StartsWith("server.", StringComparison.Ordinal) || !TryInt(name["server.".Length..], 1, 255, out var id))
            {
                throw Error(e, $"needs name=\"server.N\" with N 1-255 (the member's myid), got {(name is null ? "no name" : $"'{name}'")}");
            }

            var text = Text(e);
            var split = SplitHost(text);
            var parts = split?.Remainder.Split(':');
            if (parts is not { Length: 2 or 3 }
                || !TryInt(parts[0], 1, 65535, out var quorumPort)
                || !TryInt(parts[1], 1, 65535, out var electionPort)
                || quorumPort == electionPort
                || (parts.Length == 3 && parts[2].ToLowerInvariant() is not ("participant" or "observer")))
            {
                throw Error(e, $"must be host:quorumPort:electionPort[:participant|observer] with two different ports 1-65535 (IPv6 host in [brackets]), got '{text}'");
            }

            return new ZooServer(id, split!.Value.Host, quorumPort, electionPort, parts.Length == 3 ? parts[2].ToLowerInvariant() : "participant");
        }

        private XmppConfig Xmpp(XElement? xmpp, ZooConfig? zoo)
        {
            var found = Children(xmpp, XmppElements);
            var c2sPort = Get(found, "c2sPort", e => Int(e, 1, 65535, PortNumber), 5222);
            var directTlsPort = Get(found, "directTlsPort", e => Int(e, 0, 65535, "a port number (0 disables)"), 5223);
            if (c2sPort == directTlsPort)
            {
                throw Error(found.GetValueOrDefault("directTlsPort") ?? found["c2sPort"], $"clashes: <c2sPort> and <directTlsPort> are both {c2sPort} (<directTlsPort>0</directTlsPort> disables direct TLS)");
            }

            var dataDir = Get(found, "dataDir", e => Resolve(Text(e), baseDirectory), zoo?.DataDir ?? Resolve("data", baseDirectory));
            return new XmppConfig(
                Get(found, "domain", Domain, "localhost"),
                Get(found, "listen", Listen, "*"),
                c2sPort,
                directTlsPort,
                dataDir,
                Tls(found.GetValueOrDefault("tls")),
                Storage(found.GetValueOrDefault("storage"), dataDir),
                Get(found, "registration", Registration, RegistrationPolicy.Closed),
                Limits(found.GetValueOrDefault("limits")));
        }

        private string Domain(XElement e)
        {
            var text = Text(e);
            var isIPv6Literal = text.StartsWith('[') && text.EndsWith(']') && IPAddress.TryParse(text[1..^1], out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6;
            return isIPv6Literal || IsHostName(text) ? text.ToLowerInvariant()
                : throw Error(e, $"must be a DNS name or an IP address (IPv6 in [brackets]), got '{text}'");
        }

        private string Listen(XElement e)
        {
            var text = Text(e);
            return text == "*" || (Uri.CheckHostName(text) is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(text, out _)) ? text
                : throw Error(e, $"must be * (all interfaces) or an IP address, got '{text}'");
        }

        private TlsConfig Tls(XElement? tls)
        {
            var found = Children(tls, TlsElements);
            var certificate = Get<string?>(found, "certificate", e => Resolve(Text(e), baseDirectory), null);
            if (certificate is null && (found.GetValueOrDefault("key") ?? found.GetValueOrDefault("password")) is { } orphan)
            {
                throw Error(orphan, "needs a <certificate> to go with it");
            }

            return new TlsConfig(
                certificate,
                Get<string?>(found, "key", e => Resolve(Text(e), baseDirectory), null),
                Get<string?>(found, "password", RawText, null),
                Get(found, "required", Bool, true),
                Get(found, "allowPlaintextOnLoopback", Bool, false));
        }

        private StorageConfig Storage(XElement? storage, string dataDir)
        {
            var provider = storage?.Attribute("provider")?.Value.Trim().ToLowerInvariant() ?? "sqlite";
            var found = Children(storage, StorageElements);
            switch (provider)
            {
                case "sqlite":
                    WarnIfPresent(found, "connectionString", "only used with provider=\"postgresql\"");
                    return new StorageConfig(provider, Get(found, "path", e => Resolve(Text(e), dataDir), Resolve("xmpp.db", dataDir)), null);
                case "postgresql":
                    WarnIfPresent(found, "path", "only used with provider=\"sqlite\"");
                    return new StorageConfig(provider, null, found.TryGetValue("connectionString", out var connection)
                        ? Text(connection)
                        : throw Error(storage!, "with provider=\"postgresql\" requires <connectionString>"));
                default:
                    throw Error(storage!, $"provider must be sqlite or postgresql, got '{storage!.Attribute("provider")!.Value}'");
            }
        }

        private void WarnIfPresent(Dictionary<string, XElement> found, string name, string reason)
        {
            if (found.TryGetValue(name, out var e))
            {
                Warn(e, reason);
            }
        }

        private RegistrationPolicy Registration(XElement e)
        {
            var text = Text(e);
            return text.ToLowerInvariant() switch
            {
                "open" => RegistrationPolicy.Open,
                "closed" => RegistrationPolicy.Closed,
                _ => throw Error(e, $"must be open or closed, got '{text}'"),
            };
        }

        private XmppLimitsConfig Limits(XElement? limits)
        {
            var found = Children(limits, LimitElements);
            int Limit(string name, int fallback, int min, int max) => Get(found, name, e => Int(e, min, max), fallback);
            TimeSpan Seconds(string name, int fallback, int max) => TimeSpan.FromSeconds(Limit(name, fallback, 1, max));

            return new XmppLimitsConfig(
                MaxStanzaBytes: Limit("maxStanzaBytes", 262_144, 1024, 16 * 1024 * 1024),
                MaxDepth: Limit("maxDepth", 32, 2, 1000),
                MaxAttributes: Limit("maxAttributes", 32, 1, 1000),
                StreamOpenTimeout: Seconds("streamOpenTimeoutSeconds", 30, 3600),
                IdleTimeout: Seconds("idleTimeoutSeconds", 300, 86_400),
                PingTimeout: Seconds("pingTimeoutSeconds", 60, 3600),
                OfflineQuota: Limit("offlineQuota", 1000, 0, 1_000_000),
                AuthFailuresPerAccount: Limit("authFailuresPerAccount", 5, 1, 1000),
                AuthFailuresPerAddress: Limit("authFailuresPerAddress", 20, 1, 100_000),
                AuthFailureWindow: Seconds("authFailureWindowSeconds", 300, 86_400));
        }

        /// <summary>The known children of <paramref name="parent"/> by name; unknown ones are warned about, repeated ones refused.</summary>
        private Dictionary<string, XElement> Children(XElement? parent, string[] known)
        {
            var found = new Dictionary<string, XElement>(StringComparer.Ordinal);
            foreach (var child in parent?.Elements() ?? [])
            {
                var name = child.Name.LocalName;
                if (child.Name.Namespace != XNamespace.None || !known.Contains(name))
                {
                    Warn(child, "unknown element");
                }
                else if (!found.TryAdd(name, child))
                {
                    throw Error(child, $"appears twice (first at line {Line(found[name])})");
                }
            }

            return found;
        }

        private static T Get<T>(Dictionary<string, XElement> found, string name, Func<XElement, T> read, T fallback) =>
            found.TryGetValue(name, out var e) ? read(e) : fallback;

        private string RawText(XElement e) => e.HasElements ? throw Error(e, "must hold text, not elements") : e.Value;

        private string Text(XElement e)
        {
            var text = RawText(e).Trim();
            return text.Length > 0 ? text : throw Error(e, "must not be empty");
        }

        private int Int(XElement e, int min, int max, string what = "an integer")
        {
            var text = Text(e);
            return TryInt(text, min, max, out var value) ? value : throw Error(e, $"must be {what} {min}-{max}, got '{text}'");
        }

        private static bool TryInt(string text, int min, int max, out int value) =>
            int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;

        private bool Bool(XElement e)
        {
            var text = Text(e);
            return bool.TryParse(text, out var value) ? value : throw Error(e, $"must be true or false, got '{text}'");
        }

        private static HostPort? ParseHostPort(string text) =>
            SplitHost(text) is (var host, var remainder) && TryInt(remainder, 1, 65535, out var port) ? new HostPort(host, port) : null;

        /// <summary>Splits "host:remainder" or "[IPv6]:remainder"; null when there is no valid host followed by a colon.</summary>
        private static (string Host, string Remainder)? SplitHost(string text)
        {
            if (text.StartsWith('['))
            {
                var close = text.IndexOf("]:", StringComparison.Ordinal);
                return close > 0 && IPAddress.TryParse(text[1..close], out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6
                    ? (text[1..close], text[(close + 2)..])
                    : null;
            }

            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 && IsHostName(text[..colon]) ? (text[..colon], text[(colon + 1)..]) : null;
        }

        // Uri calls "1.2.3.999" a DNS name; no top-level domain is all digits, so such a name is a mistyped address.
        private static bool IsHostName(string text) =>
            Uri.CheckHostName(text) switch
            {
                UriHostNameType.IPv4 => true,
                UriHostNameType.Dns => !text.TrimEnd('.').Split('.')[^1].All(char.IsAsciiDigit),
                _ => false,
            };

        // A Windows drive path (E:/zoo/data) stays as written: it is absolute where it was meant to be used, and
        // anchoring it under the config folder on Linux would only hide the mistake.
        private static string Resolve(string path, string baseDirectory)
        {
            if (WindowsDrivePath().IsMatch(path))
            {
                return path;
            }

            var combined = Path.Combine(baseDirectory, path);
            return Path.IsPathFullyQualified(combined) ? Path.GetFullPath(combined) : combined;
        }

        private void Warn(XElement e, string reason)
        {
            if (logger.IsEnabled(LogLevel.Warning))
            {
                logger.LogWarning("{Location}: <{Path}> ignored: {Reason}", Location(e), ElementPath(e), reason);
            }
        }

        private ConfigurationException Error(XElement e, string message) => new($"{Location(e)}: {Describe(e)} {message}");

        private string Location(XElement e) => $"{sourcePath}:{Line(e)}:{((IXmlLineInfo)e).LinePosition}";

        private static int Line(XElement e) => ((IXmlLineInfo)e).LineNumber;

        private static string ElementPath(XElement e) => string.Join('/', e.AncestorsAndSelf().Reverse().Select(a => a.Name.LocalName));

        // <server> and <property> are only told apart by their name attribute, so it is part of how they are named.
        private static string Describe(XElement e) =>
            e.Attribute("name") is { } name ? $"<{e.Name.LocalName} name=\"{name.Value}\">" : $"<{e.Name.LocalName}>";
    }
}
