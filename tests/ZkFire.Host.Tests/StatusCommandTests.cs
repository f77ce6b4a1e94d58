using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Cluster.Membership;
using ZkFire.Configuration;
using ZkFire.ZooKeeper.Client.Tests;

namespace ZkFire.Host.Tests;

/// <summary><c>zkfire status</c> against a real in-process ZooKeeper server with a registered member.</summary>
public sealed class StatusCommandTests(ZkFireServerFixture server) : IClassFixture<ZkFireServerFixture>, IAsyncLifetime
{
    private readonly CancellationTokenSource timeout = new(TimeSpan.FromSeconds(60));
    private readonly string root = "/status-" + Guid.NewGuid().ToString("N");
    private readonly StatusCommand command = new(connectTimeout: TimeSpan.FromSeconds(2), probeTimeout: TimeSpan.FromSeconds(2));
    private ClusterMembership? member;

    public async Task InitializeAsync()
    {
        member = await ClusterMembership.JoinAsync(new ClusterMembershipOptions
        {
            ConnectString = server.ConnectString,
            Root = root,
            NodeId = "node2",
            NoticeAddress = "127.0.0.1:5271",
            C2sAddress = "127.0.0.1:5232",
            ZooKeeperClientAddress = server.ConnectString,
            ZooKeeperMyId = 2,
            Version = "9.9.9",
        }, cancellationToken: timeout.Token);
        member.PublishSessionCount(4);
        while (member.Members["node2"].SessionCount != 4)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    public async Task DisposeAsync()
    {
        if (member is not null)
        {
            await member.DisposeAsync();
        }

        timeout.Dispose();
    }

    [Fact]
    public async Task An_external_ensemble_is_probed_through_the_connect_string_and_the_nodes_are_listed()
    {
        var config = Config($"<zClient>{server.ConnectString}</zClient>");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await command.RunAsync(config, output, error, timeout.Token);

        Assert.Equal(0, exitCode);
        Assert.Equal("", error.ToString());
        var lines = output.ToString().Split('\n');
        Assert.Contains(lines, l => l.StartsWith($"  {server.ConnectString}  {server.ConnectString}  -     standalone", StringComparison.Ordinal));
        var node = Assert.Single(lines, l => l.StartsWith("  node2 ", StringComparison.Ordinal));
        Assert.Contains("127.0.0.1:5271  127.0.0.1:5232  9.9.9", node, StringComparison.Ordinal);
        Assert.Contains($"  4         0x{member!.SessionId:x}", node, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith($"OK: {server.ConnectString} serves standalone; 1 node(s) registered, 4 client session(s)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_embedded_ensemble_finds_the_other_members_through_the_registrations()
    {
        // This node is server.1 on the server's port; node2's registration names server.2 (the same server here);
        // no node names server.3.
        var port = new Uri("tcp://" + server.ConnectString).Port;
        var config = Config($"""
            <notice>127.0.0.1:5270</notice>
            <zoo>
              <dataDir>data</dataDir>
              <clientPort>{port}</clientPort>
              <myid>1</myid>
              <server name="server.1">127.0.0.1:1:2</server>
              <server name="server.2">127.0.0.1:3:4</server>
              <server name="server.3">127.0.0.1:5:6</server>
            </zoo>
            """);

        var status = await command.GatherAsync(config, timeout.Token);

        Assert.Equal(
        [
            new("server.1", $"127.0.0.1:{port}", "127.0.0.1:5270", "standalone"),
            new("server.2", server.ConnectString, "node2", "standalone"),
            new("server.3", null, null, EnsembleMemberStatus.AddressUnknown),
        ], status.Ensemble);
        Assert.Equal("node2", Assert.Single(status.Nodes!).NodeId);
        Assert.True(status.IsServing);
    }

    [Fact]
    public async Task Nothing_listening_is_a_failure_with_a_one_line_reason()
    {
        var config = Config($"<zClient>127.0.0.1:{ClosedPort()}</zClient>");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exitCode = await command.RunAsync(config, output, error, timeout.Token);

        Assert.Equal(1, exitCode);
        Assert.Matches(@"^zkfire status: ZooKeeper unreachable at 127\.0\.0\.1:\d+: no member answers \(quorum lost\?\)\r?\n$", error.ToString());
        Assert.Contains("Nodes: unknown (no ZooKeeper session within 2 s)", output.ToString(), StringComparison.Ordinal);
    }

    private ClusterConfig Config(string body) => ClusterConfigReader.Parse(
        $"<jive>{body}<cluster><root>{root}</root></cluster></jive>", Path.Combine(Path.GetTempPath(), "cluster.xml"), NullLogger.Instance);

    /// <summary>A loopback port nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
