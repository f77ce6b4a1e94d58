using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace ZkFire.Interop.Tests;

/// <summary>Settings a test may change in the node's cluster.xml; the rest is fixed by <see cref="ZkFireNode"/>.</summary>
public sealed record NodeOptions
{
    public int MaxStanzaBytes { get; init; } = 65536;

    public int IdleTimeoutSeconds { get; init; } = 300;

    public int PingTimeoutSeconds { get; init; } = 60;

    /// <summary>When set, written as <c>&lt;limits&gt;&lt;streamOpenTimeoutSeconds&gt;</c>; otherwise the node's default applies.</summary>
    public int? StreamOpenTimeoutSeconds { get; init; }
}

/// <summary>
/// One real ZkFire node process on loopback, with its own cluster.xml and data directory in a fresh temp folder.
/// Disposal kills the whole process tree and deletes the folder, whatever state the node is in.
/// </summary>
public sealed class ZkFireNode : IAsyncDisposable
{
    public const string LoopbackHost = "127.0.0.1";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly ChildProcess _process;
    private int _disposed;

    private ZkFireNode(string directory, string configPath, int c2sPort, int directTlsPort, ChildProcess process)
    {
        Directory = directory;
        ConfigPath = configPath;
        C2sPort = c2sPort;
        DirectTlsPort = directTlsPort;
        _process = process;
    }

    public string Domain { get; } = "localhost";

    public string Host { get; } = LoopbackHost;

    public int C2sPort { get; }

    public int DirectTlsPort { get; }

    /// <summary>The node's temp folder (holds cluster.xml and data/).</summary>
    public string Directory { get; }

    public string ConfigPath { get; }

    /// <summary>
    /// The self-signed certificate (PEM) the node generated in its data folder on first start; a client that trusts it
    /// can verify the node's TLS for the domain, localhost and the loopback addresses.
    /// </summary>
    public string CertificatePath => Path.Combine(Directory, "data", "xmpp-cert.pem");

    /// <summary>Everything the node wrote to stdout and stderr so far.</summary>
    public string Log => _process.Log is { Length: > 0 } log ? log : "(the node wrote nothing)";

    /// <summary>A position in <see cref="Log"/>, to show only what one test caused.</summary>
    public int LogMark() => _process.Log.Length;

    public string LogSince(int mark) => _process.Log is var log && mark < log.Length ? log[mark..] : string.Empty;

    /// <summary>Starts a node and waits until its c2s port accepts connections.</summary>
    public static async Task<ZkFireNode> StartAsync(NodeOptions? options = null)
    {
        options ??= new NodeOptions();
        var executable = BuiltPrograms.HostDll;
        if (BuiltPrograms.WhyMissing(executable, "node executable") is { } missing)
        {
            throw new FileNotFoundException(missing, executable);
        }

        var directory = System.IO.Directory.CreateTempSubdirectory("zkfire-interop-").FullName;
        ZkFireNode? node = null;
        try
        {
            var (c2sPort, directTlsPort) = FreeLoopbackPorts();
            var configPath = Path.Combine(directory, "cluster.xml");
            await File.WriteAllTextAsync(configPath, ClusterXml(directory, c2sPort, directTlsPort, options));
            var process = ChildProcess.Start(BuiltPrograms.DotnetHost, [executable, "run", "--config", configPath], directory, BuiltPrograms.QuietEnvironment);
            node = new ZkFireNode(directory, configPath, c2sPort, directTlsPort, process);
            await node.WaitUntilReadyAsync();
            return node;
        }
        catch
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
            else
            {
                DeleteDirectory(directory);
            }

            throw;
        }
    }

    /// <summary>Creates an account with the node's own CLI (<c>zkfire adduser</c>) against this node's config.</summary>
    public Task AddUserAsync(string username, string password) =>
        RunCommandAsync("adduser", username, "--password", password, "--config", ConfigPath);

    /// <summary>Runs <c>dotnet zkfire.dll &lt;arguments&gt;</c>; fails with its output unless it exits 0.</summary>
    public async Task RunCommandAsync(params string[] arguments)
    {
        var result = await ChildProcess.RunAsync(BuiltPrograms.DotnetHost, [BuiltPrograms.HostDll, .. arguments], CommandTimeout, Directory, BuiltPrograms.QuietEnvironment);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"'zkfire {string.Join(' ', arguments)}' did not succeed:\n{result}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _process.DisposeAsync();
        }
        finally
        {
            DeleteDirectory(Directory);
        }
    }

    private async Task WaitUntilReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ReadyTimeout)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(TimeSpan.FromSeconds(5));
                throw new InvalidOperationException(
                    $"The ZkFire node exited with code {_process.ExitCode} before accepting connections on {Host}:{C2sPort}. Log:\n{Log}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, C2sPort);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException(
            $"The ZkFire node did not accept connections on {Host}:{C2sPort} within {ReadyTimeout.TotalSeconds} s. Log:\n{Log}");
    }

    private static string ClusterXml(string directory, int c2sPort, int directTlsPort, NodeOptions options)
    {
        var streamOpen = options.StreamOpenTimeoutSeconds is int seconds
            ? $"<streamOpenTimeoutSeconds>{seconds.ToString(CultureInfo.InvariantCulture)}</streamOpenTimeoutSeconds>"
            : string.Empty;
        var dataDir = System.Security.SecurityElement.Escape(Path.Combine(directory, "data"));
        return $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <jive>
              <xmpp>
                <domain>localhost</domain>
                <listen>{LoopbackHost}</listen>
                <c2sPort>{c2sPort}</c2sPort>
                <directTlsPort>{directTlsPort}</directTlsPort>
                <dataDir>{dataDir}</dataDir>
                <registration>open</registration>
                <tls><required>true</required></tls>
                <limits><maxStanzaBytes>{options.MaxStanzaBytes}</maxStanzaBytes><idleTimeoutSeconds>{options.IdleTimeoutSeconds}</idleTimeoutSeconds><pingTimeoutSeconds>{options.PingTimeoutSeconds}</pingTimeoutSeconds>{streamOpen}</limits>
              </xmpp>
            </jive>

            """;
    }

    /// <summary>Two distinct free ports: both listeners stay bound until both are known, so the OS cannot hand out one twice.</summary>
    private static (int First, int Second) FreeLoopbackPorts()
    {
        var first = new TcpListener(IPAddress.Loopback, 0);
        var second = new TcpListener(IPAddress.Loopback, 0);
        first.Start();
        second.Start();
        try
        {
            return (((IPEndPoint)first.LocalEndpoint).Port, ((IPEndPoint)second.LocalEndpoint).Port);
        }
        finally
        {
            first.Stop();
            second.Stop();
        }
    }

    private static void DeleteDirectory(string directory)
    {
        // A process killed a moment ago may still be releasing files (SQLite journal); retry briefly.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                if (System.IO.Directory.Exists(directory))
                {
                    System.IO.Directory.Delete(directory, recursive: true);
                }

                return;
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(200);
            }
            catch (UnauthorizedAccessException) when (attempt < 5)
            {
                Thread.Sleep(200);
            }
        }
    }
}
