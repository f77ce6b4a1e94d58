using System.Globalization;

namespace ZkFire.Testing;

/// <summary>
/// A standalone Apache ZooKeeper 3.8 from the Debian packages (<c>zookeeper</c>), run by pid on a free loopback port
/// with its own zoo.cfg and data in a temp folder; no system service, nothing installed.
/// </summary>
public sealed class ApacheZooKeeperServer : IZooKeeperServer
{
    /// <summary>Debian's zookeeper.jar names every dependency in its manifest Class-Path (under /usr/share/java).</summary>
    public const string ZooKeeperJar = "/usr/share/java/zookeeper.jar";

    /// <summary>Without an SLF4J binding ZooKeeper logs nothing; this one (a dependency of the package) logs to stderr.</summary>
    private const string LoggingJar = "/usr/share/java/slf4j-simple.jar";

    private readonly ChildProcess _process;
    private readonly string _directory;

    private ApacheZooKeeperServer(string name, ChildProcess process, string directory, int port)
    {
        Name = name;
        _process = process;
        _directory = directory;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    public string Log => _process.Log;

    public static string? WhyUnavailable()
    {
        if (Java is null)
        {
            return "java is not installed (not on PATH nor /usr/bin/java).";
        }

        return File.Exists(ZooKeeperJar) ? null : $"Apache ZooKeeper is not installed ({ZooKeeperJar} is missing).";
    }

    public static async Task<ApacheZooKeeperServer> StartAsync(string name)
    {
        var (process, directory, port) = await ZooKeeperServers.LaunchAsync(
            name, "zk-apache-", (directory, port) => Prepare(directory, port, []));
        return new ApacheZooKeeperServer(name, process, directory, port);
    }

    /// <summary>
    /// Writes <c>zoo.cfg</c> for a server on <paramref name="clientPort"/> keeping its data in
    /// <paramref name="directory"/>, with <paramref name="extraConfig"/> lines appended (an ensemble member's
    /// <c>server.N</c> entries, limits), and returns the command that runs it.
    /// </summary>
    internal static (string FileName, string[] Arguments) Prepare(string directory, int clientPort, IEnumerable<string> extraConfig)
    {
        var dataDir = Path.Combine(directory, "data");
        Directory.CreateDirectory(dataDir);
        var config = Path.Combine(directory, "zoo.cfg");
        File.WriteAllLines(config, [
            "tickTime=2000",
            $"dataDir={dataDir}",
            $"clientPort={clientPort.ToString(CultureInfo.InvariantCulture)}",
            $"clientPortAddress={ZooKeeperServers.LoopbackHost}",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
            .. extraConfig,
        ]);
        var classPath = File.Exists(LoggingJar) ? $"{ZooKeeperJar}:{LoggingJar}" : ZooKeeperJar;
        return (Java!, [
            // Small, single-threaded-GC JVM: several of these share a 2-core machine with the tests.
            "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
            "-cp", classPath,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", config,
        ]);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            ZooKeeperServers.DeleteDirectory(_directory);
        }
    }

    public override string ToString() => $"{Name} on {((IZooKeeperServer)this).ConnectString}";

    private static string? Java =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/bin")
            .Select(directory => Path.Combine(directory, "java"))
            .FirstOrDefault(File.Exists);
}
