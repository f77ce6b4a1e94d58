using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.Cluster.Interop.Tests;

/// <summary>Where the nodes of a test cluster find ZooKeeper.</summary>
public enum Coordination
{
    /// <summary>Each node runs an embedded member (<c>&lt;zoo&gt;</c> with myid 1-3 and three <c>&lt;server&gt;</c> entries).</summary>
    Embedded,

    /// <summary>The nodes have only <c>&lt;zClient&gt;</c>, naming a separate ensemble of three Apache ZooKeeper 3.8 servers.</summary>
    ApacheZooKeeper,
}

/// <summary>
/// Three <c>zkfire run</c> processes on loopback forming one cluster: one domain, one shared SQLite store, one cluster
/// secret, a short ZooKeeper session timeout; each node with its own cluster.xml, ports (c2s, notice, ZooKeeper) and
/// data folders. Nodes are numbered 1 to 3 and keep their config and data across restarts. Every process is stopped by
/// pid on dispose, and the logs of every run of every node are kept for failure messages.
/// </summary>
public sealed class ZkFireCluster : IAsyncDisposable
{
    public const int Size = 3;

    public const string Domain = "localhost";

    public const string LoopbackHost = "127.0.0.1";

    /// <summary>
    /// The nodes' ZooKeeper session timeout (<c>&lt;sessionTimeoutSeconds&gt;</c>): the shortest both ensembles accept
    /// with a comfortable margin (Apache ZooKeeper's tickTime 2000 allows 4 s at least).
    /// </summary>
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(4);

    /// <summary>The embedded members' tick: short, so elections after a kill settle quickly.</summary>
    private const int EmbeddedTickTime = 1000;

    /// <summary>What a node logs once it has joined the cluster (and serves clients), when fenced, and when back.</summary>
    private const string JoinedLine = "Cluster: joined as ";
    private const string FencedLine = "Cluster: fenced";
    private const string RejoinedLine = "Cluster: rejoined";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    private readonly Node[] nodes;
    private readonly string directory;
    private readonly ZooKeeperEnsemble? ensemble;

    private ZkFireCluster(string name, Coordination coordination, string directory, Node[] nodes, ZooKeeperEnsemble? ensemble)
    {
        Name = name;
        Coordination = coordination;
        this.directory = directory;
        this.nodes = nodes;
        this.ensemble = ensemble;
    }

    public string Name { get; }

    public Coordination Coordination { get; }

    public static IReadOnlyList<int> Ids { get; } = [.. Enumerable.Range(1, Size)];

    /// <summary>What every node (and the external ensemble, if any) has written, every run, killed ones included.</summary>
    public string Log => string.Concat(nodes.Select(n => $"===== {Name} node {n.Id} (c2s {n.C2sPort}, notice {n.NoticePort}) =====\n{n.Process.Log}\n"))
        + (ensemble is null ? string.Empty : ensemble.Log);

    public int C2sPort(int id) => Of(id).C2sPort;

    public int NoticePort(int id) => Of(id).NoticePort;

    /// <summary>The node's id in the cluster (its notice address, as no <c>&lt;nodeId&gt;</c> is set).</summary>
    public string NodeId(int id) => Of(id).NodeId;

    /// <summary>The node's current process id, for a scenario that kills, stops or resumes it itself.</summary>
    public int ProcessId(int id) => Of(id).Process.ProcessId;

    public bool IsRunning(int id) => Of(id).Process.IsRunning;

    /// <summary>Positions in every node's log, to show only what one test caused (<see cref="LogSince"/>).</summary>
    public int[] LogMark() => [.. nodes.Select(n => n.Process.Log.Length)];

    public string LogSince(int[] mark) => string.Concat(nodes.Select(n => n.Process.Log is var log && mark[n.Id - 1] < log.Length
        ? $"----- node {n.Id} -----\n{log[mark[n.Id - 1]..]}"
        : string.Empty));

    /// <summary>Why a cluster of this kind cannot start on this machine, or null when it can.</summary>
    public static string? WhyUnavailable(Coordination coordination) => Prerequisites.FirstOf(
        BuiltPrograms.WhyMissing(BuiltPrograms.HostDll, "node executable"),
        coordination == Coordination.ApacheZooKeeper ? ApacheZooKeeperServer.WhyUnavailable() : null);

    /// <summary>Starts the ensemble (for <see cref="Coordination.ApacheZooKeeper"/>) and the three nodes, and waits until all are ready.</summary>
    public static async Task<ZkFireCluster> StartAsync(Coordination coordination, string name)
    {
        var directory = Directory.CreateTempSubdirectory("zkfire-cluster-").FullName;
        ZooKeeperEnsemble? ensemble = null;
        ZkFireCluster? cluster = null;
        try
        {
            if (coordination == Coordination.ApacheZooKeeper)
            {
                ensemble = await ZooKeeperEnsemble.StartAsync(ServerKind.ApacheZooKeeper, $"{name}: Apache ZooKeeper ensemble");
            }

            var secretFile = Path.Combine(directory, "cluster.secret");
            await File.WriteAllTextAsync(secretFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
            var layout = new Layout(directory, secretFile, Path.Combine(directory, "shared", "xmpp.db"), ensemble?.ConnectStringOfAll,
                ZooKeeperServers.DistinctFreeLoopbackPorts(5 * Size));
            Directory.CreateDirectory(Path.GetDirectoryName(layout.StorePath)!);
            var members = Ids.Select(id => layout.Prepare(id)).ToArray();
            cluster = new ZkFireCluster(name, coordination, directory, members, ensemble);
            foreach (var node in members)
            {
                node.Process.Start();
            }

            await cluster.WaitUntilReadyAsync();
            return cluster;
        }
        catch
        {
            if (cluster is not null)
            {
                await cluster.DisposeAsync();
            }
            else
            {
                if (ensemble is not null)
                {
                    await ensemble.DisposeAsync();
                }

                ZooKeeperServers.DeleteDirectory(directory);
            }

            throw;
        }
    }

    /// <summary>Creates an account in the shared store with the node's own CLI (<c>zkfire adduser</c>).</summary>
    public async Task AddUserAsync(string username, string password)
    {
        var arguments = new[] { BuiltPrograms.HostDll, "adduser", username, "--password", password, "--config", Of(1).ConfigPath };
        var result = await ChildProcess.RunAsync(BuiltPrograms.DotnetHost, arguments, CommandTimeout, directory, BuiltPrograms.QuietEnvironment);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'zkfire adduser {username}' did not succeed:\n{result}");
        }
    }

    /// <summary>
    /// Starts every node that is not running (killed here, or by a scenario through its pid) on its own config and
    /// data, and waits until the whole cluster is ready: a test's starting point, and the recovery step of the
    /// failure tests.
    /// </summary>
    public async Task HealAsync()
    {
        foreach (var node in nodes.Where(n => !n.Process.IsRunning))
        {
            await node.Process.KillAsync();
            node.Process.Start();
        }

        await WaitUntilReadyAsync();
    }

    /// <summary>
    /// Waits until, with embedded members, the ensemble has exactly one leader, and every node serves c2s, has joined
    /// the cluster and holds the routes of every other running node. A node that died on its own fails this at once,
    /// with the logs.
    /// </summary>
    public async Task WaitUntilReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        var pending = "nothing checked yet";
        while (clock.Elapsed < ReadyTimeout)
        {
            if (nodes.FirstOrDefault(n => n.Process is { IsRunning: false, KilledOnPurpose: false }) is { } crashed)
            {
                throw new InvalidOperationException(
                    $"{Name}: node {crashed.Id} exited with code {crashed.Process.ExitCode} on its own. Logs:\n{Log}");
            }

            pending = await WhatIsPendingAsync();
            if (pending is null)
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"{Name} was not ready within {ReadyTimeout.TotalSeconds} s ({pending}). Logs:\n{Log}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var node in nodes)
            {
                await node.Process.DisposeAsync();
            }

            if (ensemble is not null)
            {
                await ensemble.DisposeAsync();
            }
        }
        finally
        {
            ZooKeeperServers.DeleteDirectory(directory);
        }
    }

    public override string ToString() => $"{Name} (c2s ports {string.Join(", ", nodes.Select(n => n.C2sPort))})";

    /// <summary>What the cluster still waits for, or null when it is ready.</summary>
    private async Task<string?> WhatIsPendingAsync()
    {
        var running = nodes.Where(n => n.Process.IsRunning).ToList();
        if (Coordination == Coordination.Embedded)
        {
            var modes = await Task.WhenAll(running.Select(async n => (n.Id, Mode: await ModeAsync(n.ZooKeeperPort))));
            if (!modes.All(m => m.Mode is "leader" or "follower") || modes.Count(m => m.Mode == "leader") != 1)
            {
                return "embedded ensemble not serving: " + string.Join(", ", modes.Select(m => $"member {m.Id}: {m.Mode ?? "not serving"}"));
            }
        }

        foreach (var node in running)
        {
            if (!await AcceptsAsync(node.C2sPort))
            {
                return $"node {node.Id} does not accept c2s connections on port {node.C2sPort}";
            }

            var log = node.Process.CurrentRunLog;
            if (!ServesAsMember(log))
            {
                return $"node {node.Id} has not joined the cluster (no '{JoinedLine}', or '{FencedLine}' since)";
            }

            if (running.Where(peer => peer != node).FirstOrDefault(peer => !HasRoutesOf(log, peer)) is { } unsynced)
            {
                return $"node {node.Id} has not received the routes of node {unsynced.Id} since its link to it last went down";
            }
        }

        return null;
    }

    private static bool ServesAsMember(string log) =>
        Math.Max(log.LastIndexOf(JoinedLine, StringComparison.Ordinal), log.LastIndexOf(RejoinedLine, StringComparison.Ordinal))
        > log.LastIndexOf(FencedLine, StringComparison.Ordinal);

    /// <summary>
    /// Whether a node's log shows a full copy of <paramref name="peer"/>'s routes received after the last sign of an
    /// earlier incarnation of it (its link down, its routes purged): only then does a message to the peer's users
    /// cross.
    /// </summary>
    private static bool HasRoutesOf(string log, Node peer)
    {
        var id = peer.NodeId;
        var received = log.LastIndexOf($" routes from {id}\n", StringComparison.Ordinal);
        var lost = Math.Max(log.LastIndexOf($"notice link to {id} down", StringComparison.Ordinal),
            log.LastIndexOf($"Cluster: {id} left or restarted", StringComparison.Ordinal));
        return received > lost;
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var probe = new TcpClient();
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        try
        {
            await probe.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<string?> ModeAsync(int port)
    {
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        try
        {
            return await FourLetterWord.ModeAsync(LoopbackHost, port, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    private Node Of(int id) => id is >= 1 and <= Size
        ? nodes[id - 1]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"nodes are numbered 1 to {Size}");

    /// <summary>One node: its config, folders and ports stay, its process comes and goes.</summary>
    private sealed record Node(int Id, string ConfigPath, int C2sPort, int NoticePort, int ZooKeeperPort, RestartableProcess Process)
    {
        /// <summary>The node's id in the cluster: with no <c>&lt;nodeId&gt;</c>, its notice address.</summary>
        public string NodeId => string.Create(CultureInfo.InvariantCulture, $"{LoopbackHost}:{NoticePort}");
    }

    /// <summary>The files and ports of one cluster, from which each node's cluster.xml is written.</summary>
    private sealed record Layout(string Directory, string SecretFile, string StorePath, string? ExternalEnsemble, int[] Ports)
    {
        private int Port(int id, int kind) => Ports[(kind * Size) + id - 1];

        public Node Prepare(int id)
        {
            var nodeDirectory = Path.Combine(Directory, $"node{id.ToString(CultureInfo.InvariantCulture)}");
            System.IO.Directory.CreateDirectory(nodeDirectory);
            var configPath = Path.Combine(nodeDirectory, "cluster.xml");
            var (c2s, notice, zooKeeper) = (Port(id, 0), Port(id, 1), Port(id, 2));
            File.WriteAllText(configPath, ClusterXml(id, nodeDirectory, c2s, notice, zooKeeper));
            var process = new RestartableProcess(BuiltPrograms.DotnetHost, [BuiltPrograms.HostDll, "run", "--config", configPath],
                nodeDirectory, BuiltPrograms.QuietEnvironment);
            return new Node(id, configPath, c2s, notice, zooKeeper, process);
        }

        private string ClusterXml(int id, string nodeDirectory, int c2sPort, int noticePort, int zooKeeperPort)
        {
            var coordination = ExternalEnsemble is null
                ? EmbeddedMember(id, Path.Combine(nodeDirectory, "zoo"), zooKeeperPort)
                : $"  <zClient>{ExternalEnsemble}</zClient>\n";
            return string.Create(CultureInfo.InvariantCulture, $"""
                <?xml version="1.0" encoding="UTF-8"?>
                <jive>
                  <notice>{LoopbackHost}:{noticePort}</notice>
                {coordination}  <cluster>
                    <secretFile>{SecurityElement.Escape(SecretFile)}</secretFile>
                    <sessionTimeoutSeconds>{(int)SessionTimeout.TotalSeconds}</sessionTimeoutSeconds>
                  </cluster>
                  <xmpp>
                    <domain>{Domain}</domain>
                    <listen>{LoopbackHost}</listen>
                    <c2sPort>{c2sPort}</c2sPort>
                    <directTlsPort>0</directTlsPort>
                    <dataDir>{SecurityElement.Escape(Path.Combine(nodeDirectory, "xmpp"))}</dataDir>
                    <registration>closed</registration>
                    <tls><required>true</required></tls>
                    <storage><path>{SecurityElement.Escape(StorePath)}</path></storage>
                  </xmpp>
                </jive>

                """);
        }

        private string EmbeddedMember(int id, string dataDir, int clientPort)
        {
            var servers = new StringBuilder();
            foreach (var serverId in Ids)
            {
                servers.Append(CultureInfo.InvariantCulture,
                    $"    <server name=\"server.{serverId}\">{LoopbackHost}:{Port(serverId, 3)}:{Port(serverId, 4)}</server>\n");
            }

            return string.Create(CultureInfo.InvariantCulture, $"""
                  <zoo>
                    <tickTime>{EmbeddedTickTime}</tickTime>
                    <initLimit>10</initLimit>
                    <syncLimit>5</syncLimit>
                    <dataDir>{SecurityElement.Escape(dataDir)}</dataDir>
                    <clientPort>{clientPort}</clientPort>
                    <property name="clientPortAddress">{LoopbackHost}</property>
                    <property name="4lw.commands.whitelist">*</property>
                    <property name="quorum.auth.secretFile">{SecurityElement.Escape(SecretFile)}</property>
                {servers}    <myid>{id}</myid>
                  </zoo>

                """);
        }
    }
}
