using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using ZkFire.ZooKeeper.Server.Data;
using ZkFire.ZooKeeper.Server.Processing;
using ZkFire.ZooKeeper.Server.Sessions;

namespace ZkFire.ZooKeeper.Server.Network;

/// <summary>
/// ZooKeeper's four-letter words: a new connection whose first four bytes spell a known word gets a text answer and
/// is closed (anything after the four bytes is ignored). A known word outside the whitelist gets ZooKeeper's refusal
/// line; four bytes that are no word are read as a frame length, which is too large, so the connection just drops.
/// </summary>
internal sealed class FourLetterWords(
    ZooKeeperServerOptions options,
    RequestProcessor processor,
    SessionTracker sessions,
    ServerStats stats,
    DataTree tree,
    IServingRole role,
    Func<IReadOnlyCollection<ClientConnection>> connections,
    string dataDirectory,
    string logDirectory)
{
    public const int Length = 4;

    /// <summary>
    /// What srvr, stat, mntr and envi call the version, in ZooKeeper's format: clients and tools parse the leading
    /// 3.8.0 (kazoo, Curator and zkCli gate features on 3.5 or later), the rest says which server this is.
    /// </summary>
    public static readonly string Version = $"3.8.0-zkfire-{typeof(FourLetterWords).Assembly.GetName().Version}, built on {BuildTime():yyyy-MM-dd HH:mm} UTC";

    /// <summary>Every word ZooKeeper 3.8 knows (FourLetterWords.cmd2String).</summary>
    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "ruok", "stmk", "srst", "srvr", "stat", "wchc", "wchp",
        "wchs", "mntr", "isro", "hash",
    };

    private readonly long started = Environment.TickCount64;

    /// <summary>The word the first four bytes spell, if ZooKeeper knows it.</summary>
    public static string? TryRecognise(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < Length)
        {
            return null;
        }

        Span<byte> first = stackalloc byte[Length];
        buffer.Slice(0, Length).CopyTo(first);
        var word = Encoding.ASCII.GetString(first);
        return Known.Contains(word) ? word : null;
    }

    /// <summary>
    /// The answer while this member serves no clients (an ensemble member without a quorum): ZooKeeper still says
    /// imok and reports its environment, and says it is not serving to everything else.
    /// </summary>
    public static string NotServing(string word, ZooKeeperServerOptions options) =>
        !options.AllowsFourLetterWord(word) ? $"{word} is not executed because it is not in the whitelist.\n"
        : word switch
        {
            "ruok" => "imok",
            "envi" => EnvironmentReport(),
            _ => "This ZooKeeper instance is not currently serving requests\n",
        };

    public async Task<string> AnswerAsync(string word, CancellationToken cancellationToken)
    {
        if (!options.AllowsFourLetterWord(word))
        {
            return $"{word} is not executed because it is not in the whitelist.\n";
        }

        return word switch
        {
            "ruok" => "imok",
            "isro" => "rw",
            "envi" => EnvironmentReport(),
            "conf" => Configuration(),
            "dirs" => $"datadir_size: {DirectorySize(dataDirectory)}\nlogdir_size: {DirectorySize(logDirectory)}\n",
            "srvr" or "stat" or "cons" or "mntr" or "wchs" or "wchc" or "wchp" or "dump" =>
                await processor.InspectAsync(() => Inspect(word), cancellationToken),
            // Trace masks, stat resets and digests belong to ZooKeeper internals this server does not have.
            _ => "",
        };
    }

    /// <summary>Answers that read the tree, the watches or the sessions: built on the request thread.</summary>
    private string Inspect(string word) => word switch
    {
        "srvr" => Stat(withClients: false),
        "stat" => Stat(withClients: true),
        "cons" => string.Concat(connections().Select(c => c.Describe(brief: false) + "\n")) + "\n",
        "mntr" => Monitor(),
        "wchs" => WatchSummary(),
        "wchc" => WatchesBySession(),
        "wchp" => WatchesByPath(),
        _ => Dump(),
    };

    private string Stat(bool withClients)
    {
        var text = new StringBuilder();
        text.Append("Zookeeper version: ").Append(Version).Append('\n');
        if (withClients)
        {
            text.Append("Clients:\n");
            foreach (var connection in connections())
            {
                text.Append(connection.Describe(brief: true)).Append("\n\n");
            }

            text.Append('\n');
        }

        var (min, average, max) = stats.Latency;
        text.Append(CultureInfo.InvariantCulture, $"Latency min/avg/max: {min}/{JavaDouble(average)}/{max}\n")
            .Append(CultureInfo.InvariantCulture, $"Received: {stats.PacketsReceived}\n")
            .Append(CultureInfo.InvariantCulture, $"Sent: {stats.PacketsSent}\n")
            .Append(CultureInfo.InvariantCulture, $"Connections: {connections().Count}\n")
            .Append("Outstanding: 0\n")
            .Append(CultureInfo.InvariantCulture, $"Zxid: 0x{processor.LastZxid:x}\n")
            .Append(CultureInfo.InvariantCulture, $"Mode: {role.Mode}\n")
            .Append(CultureInfo.InvariantCulture, $"Node count: {NodeCount}\n");
        return text.ToString();
    }

    /// <summary>ZooKeeper counts the root twice (under "" and "/"); monitoring compares with that number.</summary>
    private int NodeCount => tree.NodeCount + 1;

    private string Monitor()
    {
        var text = new StringBuilder();
        void Line(string key, object value) =>
            text.Append("zk_").Append(key).Append('\t').Append(Convert.ToString(value, CultureInfo.InvariantCulture)).Append('\n');

        var (min, average, max) = stats.Latency;
        var (watches, _, _) = tree.Watches.Counts;
        Line("version", Version);
        Line("server_state", role.Mode);
        Line("ephemerals_count", tree.EphemeralCount);
        Line("num_alive_connections", connections().Count);
        Line("avg_latency", JavaDouble(average));
        Line("outstanding_requests", 0);
        Line("znode_count", NodeCount);
        Line("global_sessions", sessions.Count);
        Line("local_sessions", 0);
        Line("packets_sent", stats.PacketsSent);
        Line("packets_received", stats.PacketsReceived);
        Line("watch_count", watches);
        Line("min_latency", min);
        Line("max_latency", max);
        Line("uptime", System.Environment.TickCount64 - started);
        Line("approximate_data_size", tree.ApproximateDataSize);
        Line("open_file_descriptor_count", OpenFileDescriptors());
        Line("max_file_descriptor_count", 0);
        Line("last_client_response_size", -1);
        Line("max_client_response_size", -1);
        Line("min_client_response_size", -1);
        Line("connection_drop_probability", "0.0");
        foreach (var key in MonitorKeys.Counters)
        {
            Line(key, 0);
        }

        foreach (var (name, kind, summary) in stats.PerNamespace())
        {
            Summary($"{name}_{kind}_per_namespace", summary.Count, summary.Sum, summary.Min, summary.Max, percentiles: false);
        }

        foreach (var key in MonitorKeys.Summaries)
        {
            Summary(key, 0, 0, 0, 0, percentiles: false);
        }

        foreach (var key in MonitorKeys.Percentiles)
        {
            Summary(key, 0, 0, 0, 0, percentiles: true);
        }

        foreach (var (key, value) in role.MonitorLines())
        {
            Line(key, value);
        }

        return text.ToString();

        void Summary(string key, long count, long sum, long low, long high, bool percentiles)
        {
            Line($"avg_{key}", JavaDouble(count == 0 ? 0 : (double)sum / count));
            Line($"min_{key}", low);
            Line($"max_{key}", high);
            Line($"cnt_{key}", count);
            Line($"sum_{key}", sum);
            if (percentiles)
            {
                foreach (var p in (string[])["p50", "p95", "p99", "p999"])
                {
                    Line($"{p}_{key}", 0);
                }
            }
        }
    }

    /// <summary>WatchManager.toString, which dumpWatchesSummary prints.</summary>
    private string WatchSummary()
    {
        var (watches, paths, watchers) = tree.Watches.Counts;
        return $"{watchers} connections watching {paths} paths\nTotal watches:{watches}\n";
    }

    private string WatchesBySession()
    {
        var text = new StringBuilder();
        foreach (var (session, paths) in tree.Watches.PathsBySession().OrderBy(p => p.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"0x{session:x}\n");
            foreach (var path in paths.Order(StringComparer.Ordinal))
            {
                text.Append('\t').Append(path).Append('\n');
            }
        }

        return text.Append('\n').ToString();
    }

    private string WatchesByPath()
    {
        var text = new StringBuilder();
        var byPath = tree.Watches.PathsBySession()
            .SelectMany(p => p.Value.Select(path => (Path: path, Session: p.Key)))
            .GroupBy(p => p.Path, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var group in byPath)
        {
            text.Append(group.Key).Append('\n');
            foreach (var (_, session) in group.OrderBy(g => g.Session))
            {
                text.Append(CultureInfo.InvariantCulture, $"\t0x{session:x}\n");
            }
        }

        return text.Append('\n').ToString();
    }

    private string Dump()
    {
        var text = new StringBuilder("SessionTracker dump:\n");
        var buckets = sessions.ExpiryBuckets();
        text.Append(CultureInfo.InvariantCulture, $"Session Sets ({buckets.Count})/({sessions.Count}):\n");
        foreach (var (due, ids) in buckets)
        {
            var at = DateTimeOffset.UtcNow.AddMilliseconds(due);
            text.Append(CultureInfo.InvariantCulture, $"{ids.Count} expire at {at:ddd MMM dd HH:mm:ss} UTC {at:yyyy}:\n");
            foreach (var id in ids)
            {
                text.Append(CultureInfo.InvariantCulture, $"\t0x{id:x}\n");
            }
        }

        text.Append("ephemeral nodes dump:\n");
        var owners = tree.SessionsWithEphemerals;
        text.Append(CultureInfo.InvariantCulture, $"Sessions with Ephemerals ({owners.Count}):\n");
        foreach (var owner in owners)
        {
            text.Append(CultureInfo.InvariantCulture, $"0x{owner:x}:\n");
            foreach (var path in tree.EphemeralPaths(owner))
            {
                text.Append('\t').Append(path).Append('\n');
            }
        }

        text.Append("Connections dump:\n");
        foreach (var connection in connections())
        {
            text.Append(connection.Describe(brief: false)).Append('\n');
        }

        return text.ToString();
    }

    private string Configuration()
    {
        var text = new StringBuilder()
            .Append(CultureInfo.InvariantCulture, $"clientPort={options.ClientPort}\n")
            .Append("secureClientPort=-1\n")
            .Append(CultureInfo.InvariantCulture, $"dataDir={dataDirectory}\n")
            .Append(CultureInfo.InvariantCulture, $"dataDirSize={DirectorySize(dataDirectory)}\n")
            .Append(CultureInfo.InvariantCulture, $"dataLogDir={logDirectory}\n")
            .Append(CultureInfo.InvariantCulture, $"dataLogSize={DirectorySize(logDirectory)}\n")
            .Append(CultureInfo.InvariantCulture, $"tickTime={options.TickTime}\n")
            .Append(CultureInfo.InvariantCulture, $"maxClientCnxns={options.MaxClientConnections}\n")
            .Append(CultureInfo.InvariantCulture, $"minSessionTimeout={options.EffectiveMinSessionTimeout}\n")
            .Append(CultureInfo.InvariantCulture, $"maxSessionTimeout={options.EffectiveMaxSessionTimeout}\n")
            .Append("clientPortListenBacklog=-1\n")
            .Append(CultureInfo.InvariantCulture, $"serverId={options.ServerId}\n");
        if (options.Servers.FirstOrDefault(s => s.Id == options.ServerId) is { } self)
        {
            // QuorumPeerConfig's quorum part, as an ensemble member of ZooKeeper 3.8 prints it.
            text.Append(CultureInfo.InvariantCulture, $"initLimit={options.InitLimit}\n")
                .Append(CultureInfo.InvariantCulture, $"syncLimit={options.SyncLimit}\n")
                .Append("electionAlg=3\n")
                .Append(CultureInfo.InvariantCulture, $"electionPort={self.ElectionPort}\n")
                .Append(CultureInfo.InvariantCulture, $"quorumPort={self.QuorumPort}\n")
                .Append("peerType=0\n")
                .Append("membership: \n");
            foreach (var server in options.Servers)
            {
                text.Append(CultureInfo.InvariantCulture, $"server.{server.Id}={server.Host}:{server.QuorumPort}:{server.ElectionPort}:participant");
                // Only this member's client address is known here, as with a static zoo.cfg.
                text.Append(server == self ? $";{options.ClientPortAddress ?? "0.0.0.0"}:{options.ClientPort.ToString(CultureInfo.InvariantCulture)}\n" : "\n");
            }

            text.Append("version=0\n");
        }

        return text.ToString();
    }

    /// <summary>Environment.list: the version first (clients parse it), then the host.</summary>
    private static string EnvironmentReport()
    {
        var process = System.Diagnostics.Process.GetCurrentProcess();
        return new StringBuilder("Environment:\n")
            .Append("zookeeper.version=").Append(Version).Append('\n')
            .Append("host.name=").Append(System.Net.Dns.GetHostName()).Append('\n')
            .Append("dotnet.version=").Append(RuntimeInformation.FrameworkDescription).Append('\n')
            .Append("os.name=").Append(RuntimeInformation.OSDescription).Append('\n')
            .Append("os.arch=").Append(RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()).Append('\n')
            .Append("os.version=").Append(System.Environment.OSVersion.Version).Append('\n')
            .Append("user.name=").Append(System.Environment.UserName).Append('\n')
            .Append("user.home=").Append(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile)).Append('\n')
            .Append("user.dir=").Append(System.Environment.CurrentDirectory).Append('\n')
            .Append(CultureInfo.InvariantCulture, $"os.memory.free={GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024)}MB\n")
            .Append(CultureInfo.InvariantCulture, $"os.memory.max={GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024)}MB\n")
            .Append(CultureInfo.InvariantCulture, $"os.memory.total={process.WorkingSet64 / (1024 * 1024)}MB\n")
            .ToString();
    }

    private static DateTime BuildTime() =>
        typeof(FourLetterWords).Assembly.Location is { Length: > 0 } location ? File.GetLastWriteTimeUtc(location) : DateTime.UnixEpoch;

    private static long DirectorySize(string directory) =>
        Directory.Exists(directory) ? new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length) : 0;

    private static int OpenFileDescriptors() =>
        Directory.Exists("/proc/self/fd") ? Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() : 0;

    /// <summary>Java's Double.toString for the values these words print: always a fractional part.</summary>
    private static string JavaDouble(double value)
    {
        // AvgMinMaxCounter rounds averages to four places.
        value = Math.Round(value, 4, MidpointRounding.AwayFromZero);
        return value == Math.Floor(value) ? value.ToString("0.0", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
    }
}
