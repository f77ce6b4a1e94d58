using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using ZkFire.ZooKeeper.Server.Persistence;
using ZkFire.ZooKeeper.Server.Quorum;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Simulation;

/// <summary>
/// An ensemble of in-process members (myid 1..N) over a <see cref="SimulatedNetwork"/>, each with its own dataDir and
/// a loopback client port that it keeps across restarts (so connect strings stay valid).
/// </summary>
internal sealed class TestEnsemble : IAsyncDisposable
{
    private readonly string root = Path.Combine(Path.GetTempPath(), "zkfire-ensemble-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<long, Member> members;
    private readonly Action<ZooKeeperServerOptions>? configure;

    private TestEnsemble(int size, SimulatedNetwork network, Action<ZooKeeperServerOptions>? configure, ITestOutputHelper? output, LogLevel logLevel)
    {
        Network = network;
        this.configure = configure;
        members = Enumerable.Range(1, size).ToDictionary(
            id => (long)id,
            id => new Member(
                id,
                Path.Combine(root, $"member-{id}"),
                new RecordingLoggerFactory(
                    output is null ? NullLoggerFactory.Instance : new TestOutputLoggerFactory(output, $"[{id}] ", logLevel),
                    new ConcurrentQueue<string>())));
    }

    public SimulatedNetwork Network { get; }

    public IReadOnlyList<long> Ids => [.. members.Keys];

    public IReadOnlyList<long> Running => [.. members.Values.Where(m => m.Server is not null).Select(m => m.Id)];

    /// <summary>Members needed for a quorum.</summary>
    public int Majority => (members.Count / 2) + 1;

    /// <summary>
    /// Starts <paramref name="size"/> members (tickTime 50 ms, initLimit 20, syncLimit 10, sessions up to 10 s, every
    /// four-letter word) and returns without waiting for an election; <paramref name="configure"/> adjusts each
    /// member's options, at every (re)start. The members log to <paramref name="output"/> from <paramref name="logLevel"/> up.
    /// </summary>
    public static async Task<TestEnsemble> StartAsync(
        int size,
        SimulatedNetwork network,
        Action<ZooKeeperServerOptions>? configure = null,
        ITestOutputHelper? output = null,
        LogLevel logLevel = LogLevel.Information)
    {
        var ensemble = new TestEnsemble(size, network, configure, output, logLevel);
        try
        {
            await Task.WhenAll(ensemble.Ids.Select(ensemble.StartMemberAsync));
            return ensemble;
        }
        catch
        {
            await ensemble.DisposeAsync();
            throw;
        }
    }

    public ZooKeeperServer Server(long id) => members[id].Server ?? throw new InvalidOperationException($"Member {id} is not running.");

    public bool IsRunning(long id) => members[id].Server is not null;

    public string DataDir(long id) => members[id].DataDir;

    /// <summary>What the member logged at Information and above, across its restarts.</summary>
    public IReadOnlyList<string> LogLines(long id) => [.. members[id].Lines];

    /// <summary>The connect string of the given members (every member when none are given).</summary>
    public string ConnectString(params long[] ids) =>
        string.Join(',', (ids.Length == 0 ? Ids : ids).Select(id => $"127.0.0.1:{members[id].ClientPort}"));

    /// <summary>A graceful stop: the member closes its links and files.</summary>
    public async Task StopAsync(long id)
    {
        var member = members[id];
        if (member.Server is { } server)
        {
            member.Server = null;
            await server.DisposeAsync();
        }
    }

    /// <summary>
    /// As a kill -9 would leave it: the member vanishes from the network at once, and its dataDir keeps what had
    /// reached the files by then (torn tail included), not what a graceful stop would still write.
    /// </summary>
    public async Task CrashAsync(long id)
    {
        var member = members[id];
        if (member.Server is not { } server)
        {
            return;
        }

        member.Server = null;
        Network.Crash(id);
        var remains = member.DataDir + ".crashed";
        CopyDirectory(member.DataDir, remains);
        await server.DisposeAsync();
        Directory.Delete(member.DataDir, recursive: true);
        Directory.Move(remains, member.DataDir);
    }

    /// <summary>Starts a stopped member again on its dataDir and client port, with a fresh transport.</summary>
    public Task RestartAsync(long id) =>
        IsRunning(id) ? throw new InvalidOperationException($"Member {id} is running.") : StartMemberAsync(id);

    /// <summary>
    /// Waits until one member leads and a quorum of running members serves under it (no other member claims to
    /// lead), and returns the leader.
    /// </summary>
    /// <exception cref="TimeoutException">Not within <paramref name="timeout"/>; the message lists each member's mode.</exception>
    public async Task<long> WaitForLeaderAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var modes = Modes();
            var leaders = modes.Where(m => m.Value == "leader").Select(m => m.Key).ToList();
            if (leaders.Count == 1 && modes.Count(m => m.Value is "leader" or "follower") >= Majority)
            {
                return leaders[0];
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"No leader with a quorum after {timeout.TotalSeconds:0.#} s: {Describe()}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits until every running member serves (one leader, the others following it).</summary>
    public async Task<long> WaitAllServingAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var modes = Modes();
            if (modes.Count(m => m.Value == "leader") == 1 && modes.All(m => m.Value is "leader" or "follower"))
            {
                return modes.Single(m => m.Value == "leader").Key;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"Not every running member serves after {timeout.TotalSeconds:0.#} s: {Describe()}.");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>The running members that say they lead (two, for a while, when a partitioned leader has not noticed yet).</summary>
    public IReadOnlyList<long> Leaders() => [.. Modes().Where(m => m.Value == "leader").Select(m => m.Key)];

    /// <summary>Each member's mode (leader, follower, looking) or down: for failure messages.</summary>
    public string Describe() =>
        string.Join(", ", members.Values.Select(m => $"{m.Id}: {m.Server?.Mode ?? "down"}"));

    /// <summary>
    /// Every transaction in the member's log, in order. Only for a stopped member (its files do not move); what a
    /// snapshot covers may have been purged or never logged here (a SNAP sync).
    /// </summary>
    public IReadOnlyList<LoggedTxn> ReadLog(long id)
    {
        if (IsRunning(id))
        {
            throw new InvalidOperationException($"Member {id} is running; stop it before reading its log.");
        }

        var log = TransactionLog.Open(members[id].DataDir, forceSync: false, NullLogger.Instance);
        try
        {
            return [.. log.ReadAfter(0)];
        }
        finally
        {
            log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Stops every member and returns each one's log.</summary>
    public async Task<IReadOnlyDictionary<long, IReadOnlyList<LoggedTxn>>> StopAllAndReadLogsAsync()
    {
        await Task.WhenAll(Ids.Select(StopAsync));
        return Ids.ToDictionary(id => id, ReadLog);
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Ids.Select(StopAsync));
        foreach (var member in members.Values)
        {
            member.Logging.Dispose();
        }

        if (Directory.Exists(root))
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private Dictionary<long, string> Modes() =>
        members.Values.Where(m => m.Server is not null).ToDictionary(m => m.Id, m => m.Server!.Mode);

    private async Task StartMemberAsync(long id)
    {
        var member = members[id];
        var options = new ZooKeeperServerOptions
        {
            DataDir = member.DataDir,
            ClientPort = member.ClientPort,
            ClientPortAddress = "127.0.0.1",
            TickTime = 50,
            InitLimit = 20,
            SyncLimit = 10,
            MaxSessionTimeout = 10_000,
            FourLetterWords = new HashSet<string>(StringComparer.Ordinal) { "*" },
            ServerId = id,
            // The simulated network does not use the ports; they only have to be well-formed.
            Servers = [.. Ids.Select(other => new QuorumMember(other, "127.0.0.1", 20_000 + (int)other, 30_000 + (int)other))],
        };
        configure?.Invoke(options);
        var server = new ZooKeeperServer(options, member.Logging, time: null, Network.Join(id));
        await server.StartAsync();
        member.ClientPort = server.LocalEndPoint.Port;
        member.Server = server;
    }

    /// <summary>
    /// Copies a running member's files one by one, so the copy must still be a state a crash could leave. The member
    /// makes its log durable before anything that depends on it (the epoch files, the session key, a published
    /// snapshot), so those are copied first and the log last: the copy may then hold a log newer than the rest, as
    /// a crash between the two writes would, but never an epoch or snapshot that its log does not back.
    /// </summary>
    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        var files = Directory.GetFiles(from)
            .OrderBy(file => Path.GetFileName(file).StartsWith("log.", StringComparison.Ordinal))
            .ThenBy(file => file, StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
            catch (FileNotFoundException)
            {
                // Deleted meanwhile (a truncated or purged log file, a replaced snapshot): a crash would not have it either.
            }
            catch (IOException) when (file.EndsWith(".tmp", StringComparison.Ordinal))
            {
                // A temporary the member is writing right now (an epoch file, the session key, a snapshot), held
                // exclusively until it is renamed into place: recovery never reads one, and a crash may leave none.
            }
        }

        foreach (var directory in Directory.GetDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }

    private sealed class Member(long id, string dataDir, RecordingLoggerFactory logging)
    {
        public long Id { get; } = id;

        public string DataDir { get; } = dataDir;

        public RecordingLoggerFactory Logging { get; } = logging;

        public ConcurrentQueue<string> Lines => Logging.Lines;

        /// <summary>0 until the first start picks one; a restart binds the same port again.</summary>
        public int ClientPort { get; set; }

        public ZooKeeperServer? Server { get; set; }
    }
}
