using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;

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

    private readonly Process _process;
    private readonly ProcessLog _log;
    private int _disposed;

    private ZkFireNode(string directory, string configPath, int c2sPort, int directTlsPort, Process process, ProcessLog log)
    {
        Directory = directory;
        ConfigPath = configPath;
        C2sPort = c2sPort;
        DirectTlsPort = directTlsPort;
        _process = process;
        _log = log;
    }

    public string Domain { get; } = "localhost";

    public string Host { get; } = LoopbackHost;

    public int C2sPort { get; }

    public int DirectTlsPort { get; }

    /// <summary>The node's temp folder (holds cluster.xml and data/).</summary>
    public string Directory { get; }

    public string ConfigPath { get; }

    /// <summary>Everything the node wrote to stdout and stderr so far.</summary>
    public string Log => _log.Length == 0 ? "(the node wrote nothing)" : _log.Text;

    /// <summary>A position in <see cref="Log"/>, to show only what one test caused.</summary>
    public int LogMark() => _log.Length;

    public string LogSince(int mark) => _log.TextSince(mark);

    /// <summary>Starts a node and waits until its c2s port accepts connections.</summary>
    public static async Task<ZkFireNode> StartAsync(NodeOptions? options = null)
    {
        options ??= new NodeOptions();
        var executable = HostExecutable.Path;
        var directory = System.IO.Directory.CreateTempSubdirectory("zkfire-interop-").FullName;
        ZkFireNode? node = null;
        try
        {
            var (c2sPort, directTlsPort) = FreeLoopbackPorts();
            var configPath = Path.Combine(directory, "cluster.xml");
            await File.WriteAllTextAsync(configPath, ClusterXml(directory, c2sPort, directTlsPort, options));
            var log = new ProcessLog();
            var process = HostExecutable.Start(executable, directory, log, "run", "--config", configPath);
            node = new ZkFireNode(directory, configPath, c2sPort, directTlsPort, process, log);
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
        var log = new ProcessLog();
        using var process = HostExecutable.Start(HostExecutable.Path, Directory, log, arguments);
        using var timeout = new CancellationTokenSource(CommandTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException(
                $"'zkfire {string.Join(' ', arguments)}' did not finish within {CommandTimeout.TotalSeconds} s. Output:\n{log.Text}");
        }

        // The exit event can precede the last redirected lines; this waits for the streams to drain.
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'zkfire {string.Join(' ', arguments)}' exited with {process.ExitCode}. Output:\n{log.Text}");
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
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or refusing to die; either way nothing more can be done here and the folder still goes.
        }
        finally
        {
            _process.Dispose();
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
                await _process.WaitForExitAsync();
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

    /// <summary>Locates and launches the host built alongside this test project (same Configuration).</summary>
    private static class HostExecutable
    {
        private static readonly Lazy<string> Located = new(Locate);

        public static string Path => Located.Value;

        public static Process Start(string executable, string workingDirectory, ProcessLog log, params string[] arguments)
        {
            var start = new ProcessStartInfo(DotnetHost())
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(executable);
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => log.Append(e.Data);
            process.ErrorDataReceived += (_, e) => log.Append(e.Data);
            process.Start();
            // No interactive input for a server or a CLI command under test.
            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }

        private static string Locate()
        {
            var configuration = typeof(ZkFireNode).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "Configuration").Value;
            var root = RepositoryRoot();
            var path = System.IO.Path.Combine(root, "src", "ZkFire.Host", "bin", configuration!, "net10.0", "zkfire.dll");
            return File.Exists(path)
                ? path
                : throw new FileNotFoundException(
                    $"The node executable was not built at {path}; build the solution in {configuration} first.", path);
        }

        private static string RepositoryRoot()
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(directory.FullName, "ZkFire.sln")))
                {
                    return directory.FullName;
                }
            }

            throw new DirectoryNotFoundException($"No ZkFire.sln above {AppContext.BaseDirectory}.");
        }

        /// <summary>The dotnet host running the tests (set by the SDK), so the node runs on the same runtime.</summary>
        private static string DotnetHost() =>
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
    }
}

/// <summary>Thread-safe capture of a process's stdout and stderr lines, in arrival order.</summary>
internal sealed class ProcessLog
{
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();

    public int Length
    {
        get
        {
            lock (_gate)
            {
                return _text.Length;
            }
        }
    }

    public string Text
    {
        get
        {
            lock (_gate)
            {
                return _text.ToString();
            }
        }
    }

    public void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _text.Append(line).Append('\n');
        }
    }

    public string TextSince(int mark)
    {
        lock (_gate)
        {
            return mark >= _text.Length ? string.Empty : _text.ToString(mark, _text.Length - mark);
        }
    }
}
