using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;
using ZkFire.ZooKeeper.Server.Quorum;
using ZkFire.ZooKeeper.Server.Quorum.Transport;
using ZkFire.ZooKeeper.Server.Tests.Support;

namespace ZkFire.ZooKeeper.Server.Tests.Quorum.Transport;

/// <summary>
/// Members of a test ensemble on loopback ports, each with a quorum transport that the test starts (or not), and a
/// secret file; everything started is stopped and deleted on dispose.
/// </summary>
internal sealed class TransportEnsemble : IAsyncDisposable
{
    private readonly List<DotNettyQuorumTransport> transports = [];
    private readonly List<string> files = [];
    private readonly TestOutputLoggerFactory loggerFactory;

    public TransportEnsemble(int size, ITestOutputHelper output, string host = "127.0.0.1")
    {
        loggerFactory = new TestOutputLoggerFactory(output);
        var ports = FreePorts(2 * size);
        Members = [.. Enumerable.Range(1, size).Select(id => new QuorumMember(id, host, ports[2 * id - 2], ports[2 * id - 1]))];
        SecretFile = WriteSecret(SharedSecret);
    }

    public const string SharedSecret = "the ensemble's shared secret, 42";

    public IReadOnlyList<QuorumMember> Members { get; }

    public string SecretFile { get; }

    public static TimeSpan Patience => TimeSpan.FromSeconds(10);

    public QuorumMember this[long id] => Members.Single(m => m.Id == id);

    public string WriteSecret(string secret)
    {
        var path = Path.Combine(Path.GetTempPath(), "zkfire-quorum-secret-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, secret);
        files.Add(path);
        return path;
    }

    /// <summary>A started transport for member <paramref name="id"/>; by default with the ensemble's secret.</summary>
    public async Task<DotNettyQuorumTransport> StartAsync(long id, QuorumTransportOptions? options = null, IReadOnlyList<QuorumMember>? members = null)
    {
        var transport = new DotNettyQuorumTransport(
            id,
            members ?? Members,
            options ?? new QuorumTransportOptions { SecretFile = SecretFile, HandshakeTimeout = TimeSpan.FromSeconds(2) },
            loggerFactory);
        transports.Add(transport);
        await transport.StartAsync(CancellationToken.None);
        return transport;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var transport in transports)
        {
            await transport.DisposeAsync();
        }

        foreach (var file in files)
        {
            File.Delete(file);
        }
    }

    /// <summary>Ports the system handed out for port 0, all held at once so that they differ, then released.</summary>
    private static int[] FreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }
}
