using System.Globalization;
using System.Security;

namespace ZkFire.Testing;

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
        BuiltPrograms.WhyMissing(BuiltPrograms.HostDll, "ZkFire host");

    public static async Task<ZkFireZooKeeperServer> StartAsync(string name)
    {
        var (process, directory, port) = await ZooKeeperServers.LaunchAsync(
            name, "zk-zkfire-", (directory, port) => Prepare(directory, port, string.Empty));
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
        _process = ChildProcess.Start(BuiltPrograms.DotnetHost, Arguments(_directory), _directory);
        await ZooKeeperServers.WaitUntilServingAsync(_process, Name, Port);
    }

    /// <summary>
    /// Writes <c>cluster.xml</c> for a member on <paramref name="clientPort"/> keeping its data in
    /// <paramref name="directory"/>, with <paramref name="extraZooElements"/> added to <c>&lt;zoo&gt;</c> (an ensemble
    /// member's <c>&lt;server&gt;</c> entries, myid, limits), and returns the command that runs it.
    /// </summary>
    internal static (string FileName, string[] Arguments) Prepare(string directory, int clientPort, string extraZooElements)
    {
        File.WriteAllText(ConfigPath(directory), ClusterXml(Path.Combine(directory, "data"), clientPort, extraZooElements));
        return (BuiltPrograms.DotnetHost, Arguments(directory));
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

    private static string[] Arguments(string directory) => [BuiltPrograms.HostDll, "zk", "--config", ConfigPath(directory)];

    private static string ClusterXml(string dataDir, int port, string extraZooElements) => $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <jive>
          <zoo>
            <tickTime>2000</tickTime>
            <dataDir>{SecurityElement.Escape(dataDir)}</dataDir>
            <clientPort>{port.ToString(CultureInfo.InvariantCulture)}</clientPort>
            <property name="clientPortAddress">{ZooKeeperServers.LoopbackHost}</property>
            <property name="4lw.commands.whitelist">*</property>
        {extraZooElements}
          </zoo>
        </jive>

        """;
}
