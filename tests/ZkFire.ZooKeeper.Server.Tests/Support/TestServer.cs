using System.Net;
using Xunit.Abstractions;

namespace ZkFire.ZooKeeper.Server.Tests.Support;

/// <summary>An in-process server on an ephemeral loopback port, with its own data directory.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly bool ownsDirectory;

    private TestServer(ZooKeeperServer server, ZooKeeperServerOptions options, bool ownsDirectory)
    {
        Server = server;
        Options = options;
        this.ownsDirectory = ownsDirectory;
    }

    public ZooKeeperServer Server { get; }

    public ZooKeeperServerOptions Options { get; }

    public IPEndPoint EndPoint => Server.LocalEndPoint;

    public static Task<TestServer> StartAsync(Action<ZooKeeperServerOptions>? configure = null, ITestOutputHelper? output = null) =>
        StartAsync(Path.Combine(Path.GetTempPath(), "zkfire-server-" + Guid.NewGuid().ToString("N")), configure, ownsDirectory: true, output);

    /// <summary>Starts a server on an existing data directory (a restart); the caller deletes the directory.</summary>
    public static async Task<TestServer> StartAsync(string dataDir, Action<ZooKeeperServerOptions>? configure, bool ownsDirectory, ITestOutputHelper? output = null)
    {
        var options = new ZooKeeperServerOptions { DataDir = dataDir, ClientPort = 0, ClientPortAddress = "127.0.0.1" };
        configure?.Invoke(options);
        var server = new ZooKeeperServer(options, output is null ? null : new TestOutputLoggerFactory(output));
        await server.StartAsync();
        return new TestServer(server, options, ownsDirectory);
    }

    public Task<RawClient> ConnectAsync(int timeout = 30_000) => RawClient.ConnectAsync(EndPoint, timeout);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        if (ownsDirectory && Directory.Exists(Options.DataDir))
        {
            Directory.Delete(Options.DataDir, recursive: true);
        }
    }
}
