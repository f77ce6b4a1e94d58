using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.Testing;

/// <summary>
/// Three ZooKeeper members on loopback, one process each: Apache ZooKeeper 3.8 (<c>zoo.cfg</c> with
/// <c>server.1..3</c> and a <c>myid</c> file) or <c>zkfire zk</c> (<c>cluster.xml</c> with <c>&lt;server&gt;</c>
/// entries, <c>&lt;myid&gt;</c> and a shared quorum secret). Members are named by their myid, 1 to 3. Every process
/// is stopped by pid on dispose; the logs of every run of every member are kept for failure messages.
/// </summary>
public sealed class ZooKeeperEnsemble : IAsyncDisposable
{
    public const int Size = 3;

    private const int TickTime = 2000;

    private static readonly TimeSpan ServeTimeout = TimeSpan.FromSeconds(60);

    private static readonly TimeSpan ModeTimeout = TimeSpan.FromSeconds(2);

    private readonly Member[] _members;
    private readonly string _directory;

    private ZooKeeperEnsemble(string name, ServerKind kind, string directory, Member[] members)
    {
        Name = name;
        Kind = kind;
        _directory = directory;
        _members = members;
    }

    public string Name { get; }

    public ServerKind Kind { get; }

    public static IReadOnlyList<int> Ids { get; } = [.. Enumerable.Range(1, Size)];

    /// <summary>Every member, for a client that should move to another member when its own goes away.</summary>
    public string ConnectStringOfAll => string.Join(',', Ids.Select(ConnectString));

    /// <summary>What every member has written, every run of it, killed ones included.</summary>
    public string Log => string.Concat(_members.Select(m => $"===== {Name} server.{m.Id} (client port {m.ClientPort}) =====\n{m.Log}\n"));

    public int ClientPort(int id) => Of(id).ClientPort;

    public string ConnectString(int id) => $"{ZooKeeperServers.LoopbackHost}:{ClientPort(id).ToString(CultureInfo.InvariantCulture)}";

    /// <summary>The member's current process id (the load tool's failover probe kills the leader by it).</summary>
    public int ProcessId(int id) => Of(id).ProcessId;

    /// <summary>The member whose client port is <paramref name="port"/>.</summary>
    public int IdOfPort(int port) => _members.Single(m => m.ClientPort == port).Id;

    public static async Task<ZooKeeperEnsemble> StartAsync(ServerKind kind, string name)
    {
        var directory = Directory.CreateTempSubdirectory(kind == ServerKind.ApacheZooKeeper ? "zk-ensemble-apache-" : "zk-ensemble-zkfire-").FullName;
        var ports = ZooKeeperServers.DistinctFreeLoopbackPorts(3 * Size);
        var (clientPorts, quorumPorts, electionPorts) = (ports[..Size], ports[Size..(2 * Size)], ports[(2 * Size)..]);
        var servers = Ids.Select(id => (Id: id, Address: string.Create(
            CultureInfo.InvariantCulture, $"{ZooKeeperServers.LoopbackHost}:{quorumPorts[id - 1]}:{electionPorts[id - 1]}"))).ToList();
        var secretFile = Path.Combine(directory, "quorum.secret");
        if (kind == ServerKind.ZkFire)
        {
            File.WriteAllText(secretFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        }

        var members = Ids.Select(id =>
        {
            var memberDirectory = Path.Combine(directory, $"server.{id.ToString(CultureInfo.InvariantCulture)}");
            Directory.CreateDirectory(memberDirectory);
            var clientPort = clientPorts[id - 1];
            var command = kind switch
            {
                ServerKind.ApacheZooKeeper => PrepareApacheZooKeeper(memberDirectory, id, clientPort, servers),
                ServerKind.ZkFire => PrepareZkFire(memberDirectory, id, clientPort, servers, secretFile),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
            };
            return new Member(id, memberDirectory, clientPort, command);
        }).ToArray();

        var ensemble = new ZooKeeperEnsemble(name, kind, directory, members);
        try
        {
            foreach (var member in members)
            {
                member.Start();
            }

            await ensemble.WaitUntilServingAsync();
            return ensemble;
        }
        catch
        {
            await ensemble.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGKILLs the member (by pid, whole tree: no shutdown hook runs, like a crash).</summary>
    public Task KillAsync(int id) => Of(id).KillAsync();

    /// <summary>
    /// Starts the member again on its dataDir and ports (killing it first if it still runs, or taking note that
    /// something else killed it) and waits until the whole ensemble serves.
    /// </summary>
    public async Task RestartAsync(int id, CancellationToken cancellationToken = default)
    {
        var member = Of(id);
        await member.KillAsync();
        member.Start();
        await WaitUntilServingAsync(cancellationToken);
    }

    /// <summary>Restarts every member that is down, then waits until the ensemble serves; a test's starting point.</summary>
    public async Task HealAsync(CancellationToken cancellationToken = default)
    {
        foreach (var member in _members.Where(m => !m.IsRunning))
        {
            await member.KillAsync();
            member.Start();
        }

        await WaitUntilServingAsync(cancellationToken);
    }

    /// <summary>The leader, once every member serves.</summary>
    public async Task<int> LeaderAsync(CancellationToken cancellationToken = default)
    {
        var modes = await WaitUntilServingAsync(cancellationToken);
        return modes.Single(m => m.Value == "leader").Key;
    }

    /// <summary>
    /// Each running member's role as <c>srvr</c> reports it (null: answers without one, so not serving; or does not
    /// answer at all).
    /// </summary>
    public async Task<IReadOnlyDictionary<int, string?>> ModesAsync(CancellationToken cancellationToken = default)
    {
        var modes = await Task.WhenAll(_members.Where(m => m.IsRunning).Select(async m => (m.Id, Mode: await ModeAsync(m, cancellationToken))));
        return modes.ToDictionary(m => m.Id, m => m.Mode);
    }

    /// <summary>
    /// Waits until every member not deliberately killed serves as leader or follower, with exactly one leader, and
    /// returns the modes. A member that died on its own fails this at once, with the logs.
    /// </summary>
    public async Task<IReadOnlyDictionary<int, string?>> WaitUntilServingAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        IReadOnlyDictionary<int, string?> modes = new Dictionary<int, string?>();
        while (clock.Elapsed < ServeTimeout)
        {
            var crashed = _members.FirstOrDefault(m => m is { IsRunning: false, KilledOnPurpose: false });
            if (crashed is not null)
            {
                throw new InvalidOperationException($"{Name}: server.{crashed.Id} exited on its own. Logs:\n{Log}");
            }

            modes = await ModesAsync(cancellationToken);
            var live = _members.Count(m => m.IsRunning);
            if (modes.Count == live && modes.Values.All(m => m is "leader" or "follower") && modes.Values.Count(m => m == "leader") == 1)
            {
                return modes;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException(
            $"{Name} did not serve within {ServeTimeout.TotalSeconds} s (modes: {Describe(modes)}). Logs:\n{Log}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var member in _members)
            {
                await member.DisposeAsync();
            }
        }
        finally
        {
            ZooKeeperServers.DeleteDirectory(_directory);
        }
    }

    public override string ToString() => $"{Name} ({ConnectStringOfAll})";

    private static string Describe(IReadOnlyDictionary<int, string?> modes) =>
        string.Join(", ", modes.OrderBy(m => m.Key).Select(m => $"server.{m.Key}: {m.Value ?? "not serving"}"));

    private Member Of(int id) => id is >= 1 and <= Size
        ? _members[id - 1]
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"members are numbered 1 to {Size}");

    private static async Task<string?> ModeAsync(Member member, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ModeTimeout);
        try
        {
            return await FourLetterWord.ModeAsync(ZooKeeperServers.LoopbackHost, member.ClientPort, timeout.Token);
        }
        catch (Exception ex) when (ex is SocketException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return null;
        }
    }

    private static (string FileName, string[] Arguments) PrepareApacheZooKeeper(
        string directory, int id, int clientPort, IReadOnlyList<(int Id, string Address)> servers)
    {
        var command = ApacheZooKeeperServer.Prepare(directory, clientPort, [
            "initLimit=10",
            "syncLimit=5",
            .. servers.Select(s => string.Create(CultureInfo.InvariantCulture, $"server.{s.Id}={s.Address}")),
        ]);
        File.WriteAllText(Path.Combine(directory, "data", "myid"), id.ToString(CultureInfo.InvariantCulture) + "\n");
        return command;
    }

    private static (string FileName, string[] Arguments) PrepareZkFire(
        string directory, int id, int clientPort, IReadOnlyList<(int Id, string Address)> servers, string secretFile)
    {
        var zoo = new StringBuilder()
            .Append("    <initLimit>10</initLimit>\n")
            .Append("    <syncLimit>5</syncLimit>\n");
        foreach (var (serverId, address) in servers)
        {
            zoo.Append(CultureInfo.InvariantCulture, $"    <server name=\"server.{serverId}\">{address}</server>\n");
        }

        zoo.Append(CultureInfo.InvariantCulture, $"    <myid>{id}</myid>\n")
            .Append(CultureInfo.InvariantCulture, $"    <property name=\"quorum.auth.secretFile\">{System.Security.SecurityElement.Escape(secretFile)}</property>");
        return ZkFireZooKeeperServer.Prepare(directory, clientPort, zoo.ToString());
    }

    /// <summary>One member: its files and ports stay, its process comes and goes.</summary>
    private sealed class Member(int id, string directory, int clientPort, (string FileName, string[] Arguments) command) : IAsyncDisposable
    {
        private readonly RestartableProcess process = new(command.FileName, command.Arguments, directory);

        public int Id { get; } = id;

        public int ClientPort { get; } = clientPort;

        public bool IsRunning => process.IsRunning;

        public bool KilledOnPurpose => process.KilledOnPurpose;

        public int ProcessId => process.ProcessId;

        public string Log => process.Log;

        public void Start() => process.Start();

        public Task KillAsync() => process.KillAsync();

        public ValueTask DisposeAsync() => process.DisposeAsync();
    }
}
