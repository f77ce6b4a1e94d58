using ZkFire.ZooKeeper.Server;

namespace ZkFire.ZooKeeper.Client.Tests;

/// <summary>ZkFire's own ZooKeeper server, in-process on a loopback port, configured like the Apache fixture.</summary>
public sealed class ZkFireServerFixture : IZooKeeperEndpoint, IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("zkfire-client-suite-").FullName;
    private ZooKeeperServer? _server;

    public string ConnectString { get; private set; } = "";

    public string? UnavailableReason => null;

    public async Task InitializeAsync()
    {
        _server = new ZooKeeperServer(new ZooKeeperServerOptions
        {
            DataDir = _dataDir,
            ClientPort = 0,
            ClientPortAddress = "127.0.0.1",
            TickTime = 500,
            ExtendedTypesEnabled = true,
            ContainerCheckInterval = TimeSpan.FromMilliseconds(100),
            FourLetterWords = new HashSet<string>(StringComparer.Ordinal) { "*" },
        });
        await _server.StartAsync();
        ConnectString = $"127.0.0.1:{_server.LocalEndPoint.Port}";
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        Directory.Delete(_dataDir, recursive: true);
    }
}
