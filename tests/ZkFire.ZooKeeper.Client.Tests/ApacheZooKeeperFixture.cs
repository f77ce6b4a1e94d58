using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ZkFire.ZooKeeper.Client.Tests;

/// <summary>
/// One Apache ZooKeeper server (the Debian <c>zookeeper</c> package) for the whole test run: standalone, on a free
/// loopback port, with a temporary dataDir, started and stopped by pid. Without java or the jars the tests skip,
/// unless CI=true, where that is a failure.
/// </summary>
public sealed class ApacheZooKeeperFixture : IZooKeeperEndpoint, IAsyncLifetime
{
    private const string JarDirectory = "/usr/share/java";
    private const string PackageEnvironment = "/etc/zookeeper/conf/environment";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private Process? _process;
    private string? _directory;
    private StreamWriter? _log;

    public string ConnectString { get; private set; } = "";

    public string? UnavailableReason { get; private set; }

    public async Task InitializeAsync()
    {
        var java = FindJava();
        var classPath = FindClassPath();
        if (java is null || classPath is null)
        {
            UnavailableReason = java is null
                ? "java is not installed"
                : $"the ZooKeeper jars are missing (apt-get install -y zookeeper; looked in {JarDirectory})";
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Apache ZooKeeper is required on CI: {UnavailableReason}.");
            }

            return;
        }

        _directory = Directory.CreateTempSubdirectory("zkfire-zkclient-").FullName;
        var port = FreePort();
        var config = Path.Combine(_directory, "zoo.cfg");
        await File.WriteAllTextAsync(config, string.Join('\n',
            // A short tick keeps session timeouts (2..20 ticks) small enough for expiry tests.
            "tickTime=500",
            $"dataDir={Path.Combine(_directory, "data")}",
            $"clientPort={port.ToString(CultureInfo.InvariantCulture)}",
            "clientPortAddress=127.0.0.1",
            "admin.enableServer=false",
            "4lw.commands.whitelist=*",
            "")).ConfigureAwait(false);

        var start = new ProcessStartInfo(java)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _directory,
        };
        foreach (var argument in (string[])[
            "-Dzookeeper.extendedTypesEnabled=true",
            "-Dznode.container.checkIntervalMs=100",
            "-Dzookeeper.admin.enableServer=false",
            "-cp", classPath,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain", config])
        {
            start.ArgumentList.Add(argument);
        }

        _log = new StreamWriter(Path.Combine(_directory, "server.log")) { AutoFlush = true };
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => WriteLog(e.Data);
        _process.ErrorDataReceived += (_, e) => WriteLog(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        ConnectString = $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        await WaitUntilServingAsync(port).ConfigureAwait(false);
    }

    public async Task DisposeAsync()
    {
        if (_process is not null)
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            _process.Dispose();
        }

        if (_log is not null)
        {
            await _log.DisposeAsync().ConfigureAwait(false);
        }

        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static string? FindJava()
    {
        var home = Environment.GetEnvironmentVariable("JAVA_HOME");
        var candidates = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Prepend(home is null ? "" : Path.Combine(home, "bin"))
            .Where(directory => directory.Length > 0)
            .Select(directory => Path.Combine(directory, "java"));
        return candidates.FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// The package's own classpath (CLASSPATH in /etc/zookeeper/conf/environment; zookeeper.jar's manifest names
    /// its dependencies), plus an slf4j binding so the server log says something.
    /// </summary>
    private static string? FindClassPath()
    {
        var entries = new List<string>();
        if (File.Exists(PackageEnvironment))
        {
            var line = File.ReadLines(PackageEnvironment).FirstOrDefault(l => l.StartsWith("CLASSPATH=", StringComparison.Ordinal));
            entries.AddRange((line?["CLASSPATH=".Length..].Trim('"') ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        }

        var jar = Path.Combine(JarDirectory, "zookeeper.jar");
        if (!entries.Contains(jar))
        {
            entries.Add(jar);
        }

        entries.Add(Path.Combine(JarDirectory, "slf4j-simple.jar"));
        entries = [.. entries.Where(e => File.Exists(e) || Directory.Exists(e))];
        return entries.Contains(jar) ? string.Join(':', entries) : null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private async Task WaitUntilServingAsync(int port)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
            {
                throw new InvalidOperationException($"ZooKeeper exited with {_process.ExitCode}; see {_directory}/server.log.");
            }

            if (await FourLetterWordAsync(port, "ruok").ConfigureAwait(false) == "imok")
            {
                return;
            }

            await Task.Delay(100).ConfigureAwait(false);
        }

        throw new TimeoutException($"ZooKeeper did not answer ruok within {StartTimeout}; see {_directory}/server.log.");
    }

    private static async Task<string?> FourLetterWordAsync(int port, string word)
    {
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(word), timeout.Token).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return await reader.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    private void WriteLog(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log!)
        {
            _log.WriteLine(line);
        }
    }
}
