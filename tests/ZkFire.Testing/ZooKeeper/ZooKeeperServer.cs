using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ZkFire.ZooKeeper.Client;

namespace ZkFire.Testing;

/// <summary>Which implementation plays "the server under test" in every test of this project.</summary>
public enum ServerKind
{
    /// <summary>A second, independent Apache ZooKeeper 3.8: validates the harness itself (every test must pass).</summary>
    ApacheZooKeeper,

    /// <summary>ZkFire's embedded ZooKeeper member, started as <c>dotnet zkfire.dll zk --config cluster.xml</c>.</summary>
    ZkFire,
}

/// <summary>A running ZooKeeper-compatible server on loopback; disposing it stops the process and removes its files.</summary>
public interface IZooKeeperServer : IAsyncDisposable
{
    /// <summary>Human-readable, for test output ("Apache ZooKeeper (reference)").</summary>
    string Name { get; }

    int Port { get; }

    string ConnectString => $"{ZooKeeperServers.LoopbackHost}:{Port}";

    /// <summary>What the server process has written so far.</summary>
    string Log { get; }
}

public static class ZooKeeperServers
{
    /// <summary>
    /// THE SWITCH. Flip to <see cref="ServerKind.ZkFire"/> once ZkFire's ZooKeeper server exists; until then both
    /// sides are Apache ZooKeeper, which proves the harness. <c>ZKFIRE_ZK_UNDER_TEST=ZkFire</c> overrides it.
    /// </summary>
    public const ServerKind DefaultUnderTest = ServerKind.ZkFire;

    public const string LoopbackHost = "127.0.0.1";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    public static ServerKind UnderTest =>
        Enum.TryParse<ServerKind>(Environment.GetEnvironmentVariable("ZKFIRE_ZK_UNDER_TEST"), ignoreCase: true, out var kind)
            ? kind
            : DefaultUnderTest;

    /// <summary>Why servers of this kind cannot start on this machine, or null when they can.</summary>
    public static string? WhyUnavailable(ServerKind kind) => kind switch
    {
        ServerKind.ApacheZooKeeper => ApacheZooKeeperServer.WhyUnavailable(),
        ServerKind.ZkFire => ZkFireZooKeeperServer.WhyUnavailable(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static async Task<IZooKeeperServer> StartAsync(ServerKind kind, string role) => kind switch
    {
        ServerKind.ApacheZooKeeper => await ApacheZooKeeperServer.StartAsync($"Apache ZooKeeper ({role})"),
        ServerKind.ZkFire => await ZkFireZooKeeperServer.StartAsync($"ZkFire ({role})"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>A port nothing listens on right now (the OS hands out ports round-robin, so a reuse race is unlikely).</summary>
    public static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Distinct ports nothing listens on right now, for a set of servers started together.</summary>
    public static int[] DistinctFreeLoopbackPorts(int count)
    {
        var ports = new HashSet<int>();
        while (ports.Count < count)
        {
            ports.Add(FreeLoopbackPort());
        }

        return [.. ports];
    }

    /// <summary>Polls <c>ruok</c> until the server answers <c>imok</c>; fails early with the log if the process dies.</summary>
    public static async Task WaitUntilServingAsync(ChildProcess process, string name, int port)
    {
        var clock = Stopwatch.StartNew();
        string? lastError = null;
        while (clock.Elapsed < ReadyTimeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with code {process.ExitCode} before serving on port {port}. Log:\n{process.Log}");
            }

            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                var answer = await FourLetterWord.SendAsync(LoopbackHost, port, "ruok", attempt.Token);
                if (answer == "imok")
                {
                    return;
                }

                lastError = $"ruok answered '{answer}'";
            }
            catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
            {
                lastError = ex.Message;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException(
            $"{name} did not answer ruok with imok on port {port} within {ReadyTimeout.TotalSeconds} s (last: {lastError}). Log:\n{process.Log}");
    }

    /// <summary>Deletes a server's temp folder; a process killed a moment ago may still hold files, so retry briefly.</summary>
    public static void DeleteDirectory(string directory)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }

                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && attempt < 5)
            {
                Thread.Sleep(200);
            }
        }
    }

    /// <summary>Starts a server process in a fresh temp folder and waits for ruok; on any failure nothing is left behind.</summary>
    internal static async Task<(ChildProcess Process, string Directory, int Port)> LaunchAsync(
        string name, string directoryPrefix, Func<string, int, (string FileName, string[] Arguments)> prepare)
    {
        var directory = Directory.CreateTempSubdirectory(directoryPrefix).FullName;
        ChildProcess? process = null;
        try
        {
            var port = FreeLoopbackPort();
            var (fileName, arguments) = prepare(directory, port);
            process = ChildProcess.Start(fileName, arguments, directory);
            await WaitUntilServingAsync(process, name, port);
            return (process, directory, port);
        }
        catch
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }

            DeleteDirectory(directory);
            throw;
        }
    }
}
