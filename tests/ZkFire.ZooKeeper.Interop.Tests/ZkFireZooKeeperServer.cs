using System.Globalization;
using System.Reflection;
using System.Security;

namespace ZkFire.ZooKeeper.Interop.Tests;

/// <summary>
/// ZkFire's embedded ZooKeeper member as a standalone server: <c>dotnet zkfire.dll zk --config cluster.xml</c>, with
/// a <c>&lt;zoo&gt;</c> block and no <c>&lt;server&gt;</c> entries. Used when <see cref="ZooKeeperServers.UnderTest"/>
/// is <see cref="ServerKind.ZkFire"/>; it fails to start until that server exists.
/// </summary>
public sealed class ZkFireZooKeeperServer : IZooKeeperServer
{
    private readonly string _directory;
    private ChildProcess _process;
    private string _earlierLogs = "";

    private ZkFireZooKeeperServer(string name, ChildProcess process, string directory, int port)
    {
        Name = name;
        _process = process;
        _directory = directory;
        Port = port;
    }

    public string Name { get; }

    public int Port { get; }

    /// <summary>Every run's output, the killed ones first, so a failure after a restart still shows what led to it.</summary>
    public string Log => _earlierLogs + _process.Log;

    public static string? WhyUnavailable() =>
        File.Exists(HostDll) ? null : $"The ZkFire host was not built at {HostDll}; build the solution in the tests' Configuration first.";

    public static async Task<ZkFireZooKeeperServer> StartAsync(string name)
    {
        var (process, directory, port) = await ZooKeeperServers.LaunchAsync(name, "zk-zkfire-", (directory, port) =>
        {
            File.WriteAllText(ConfigPath(directory), ClusterXml(Path.Combine(directory, "data"), port));
            return (DotnetHost, Arguments(directory));
        });
        return new ZkFireZooKeeperServer(name, process, directory, port);
    }

    /// <summary>
    /// SIGKILLs the member (by pid, whole tree: no shutdown hook runs, like a crash) and starts it again on the same
    /// dataDir and port, returning once it answers ruok. If the new process fails to serve it is still stopped by
    /// <see cref="DisposeAsync"/>, since it is already the current one.
    /// </summary>
    public async Task KillAndRestartAsync()
    {
        await _process.DisposeAsync();
        _earlierLogs += $"{_process.Log}--- killed (SIGKILL); restarting on the same dataDir and port ---\n";
        _process = ChildProcess.Start(DotnetHost, Arguments(_directory), _directory);
        await ZooKeeperServers.WaitUntilServingAsync(_process, Name, Port);
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

    private static string ConfigPath(string directory) => Path.Combine(directory, "cluster.xml");

    private static string[] Arguments(string directory) => [HostDll, "zk", "--config", ConfigPath(directory)];

    private static string ClusterXml(string dataDir, int port) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <jive>
          <zoo>
            <tickTime>2000</tickTime>
            <dataDir>{SecurityElement.Escape(dataDir)}</dataDir>
            <clientPort>{port.ToString(CultureInfo.InvariantCulture)}</clientPort>
            <property name="clientPortAddress">{ZooKeeperServers.LoopbackHost}</property>
            <property name="4lw.commands.whitelist">*</property>
          </zoo>
        </jive>

        """;

    /// <summary>The host built alongside this test project, in the same Configuration.</summary>
    private static string HostDll
    {
        get
        {
            var configuration = typeof(ZkFireZooKeeperServer).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "Configuration").Value!;
            return Path.Combine(RepositoryRoot(), "src", "ZkFire.Host", "bin", configuration, "net10.0", "zkfire.dll");
        }
    }

    /// <summary>The dotnet host running the tests (set by the SDK), so the node runs on the same runtime.</summary>
    private static string DotnetHost =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ZkFire.sln")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No ZkFire.sln above {AppContext.BaseDirectory}.");
    }
}
