using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Cluster.Membership;
using ZkFire.Cluster.Notice;
using ZkFire.Storage;
using ZkFire.Storage.Sqlite;
using ZkFire.Xmpp;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Tests.Routing;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Cluster.Tests.Nodes;

/// <summary>
/// Several cluster nodes in one process: each a real XMPP service (its router; no client port) with a real
/// <see cref="ClusterNode"/>, notice channel on loopback and membership in a real ZooKeeper server, all over one
/// shared SQLite store as nodes on one host share it. Clients are bound straight into a node's router.
/// </summary>
internal sealed class ClusterHarness : IAsyncDisposable
{
    public const string Domain = "localhost";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly string directory;
    private readonly string connectString;
    private readonly string root = "/cluster-" + Guid.NewGuid().ToString("N");
    private readonly List<Node?> nodes = [];

    private ClusterHarness(string directory, string connectString)
    {
        this.directory = directory;
        this.connectString = connectString;
    }

    public Node this[int index] => nodes[index] ?? throw new InvalidOperationException($"Node {index} is stopped.");

    public static async Task<ClusterHarness> StartAsync(string connectString, int count)
    {
        var harness = new ClusterHarness(Directory.CreateTempSubdirectory("zkfire-cluster-").FullName, connectString);
        try
        {
            for (var i = 0; i < count; i++)
            {
                harness.nodes.Add(await harness.StartNodeAsync(i));
            }

            await WaitAsync(() => harness.nodes.All(n => n!.Cluster.State == MembershipState.Active), "every node joined");
            return harness;
        }
        catch
        {
            await harness.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates the account if needed and binds a resource on node <paramref name="node"/>, announced to the others.</summary>
    public async Task<TestClient> BindAsync(int node, string username, string resource)
    {
        var router = this[node].Xmpp.Router;
        var store = this[node].Store;
        if (await store.Users.GetAsync(username, CancellationToken.None) is null)
        {
            var keys = new ScramCredentials([1], 4096, [2], [3]);
            await store.Users.CreateAsync(new UserRecord(username, keys, keys, DateTimeOffset.UtcNow), CancellationToken.None);
        }

        var client = new TestClient(router, Jid.Parse($"{username}@{Domain}/{resource}"));
        await router.BindAsync(client.Session, CancellationToken.None);
        return client;
    }

    /// <summary>Waits until every other running node routes to <paramref name="jid"/> (or, with <paramref name="bound"/> false, no longer does).</summary>
    public Task WaitForRouteAsync(Jid jid, bool bound = true, Func<ZkFire.Xmpp.Sessions.IResource, bool>? matching = null) =>
        WaitAsync(
            () => nodes.Where(n => n is not null && n.Xmpp.Router.Sessions.Find(jid) is null)
                .All(n => n!.Xmpp.Router.Remote.Find(jid) is { } route ? bound && (matching?.Invoke(route) ?? true) : !bound),
            $"routes to {jid} {(bound ? "everywhere" : "gone")}");

    /// <summary>Stops node <paramref name="index"/> as a shutdown does: it leaves the membership at once.</summary>
    public async Task StopNodeAsync(int index)
    {
        var node = this[index];
        nodes[index] = null;
        await node.DisposeAsync();
    }

    public static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in nodes)
        {
            if (node is not null)
            {
                await node.DisposeAsync();
            }
        }

        nodes.Clear();
        Directory.Delete(directory, recursive: true);
    }

    private async Task<Node> StartNodeAsync(int index)
    {
        var nodeId = "node" + (index + 1);
        var port = FreePort();
        var store = await SqliteXmppStore.OpenAsync(
            new SqliteStoreOptions { DatabasePath = Path.Combine(directory, "xmpp.db") }, NullLogger<SqliteXmppStore>.Instance, CancellationToken.None);
        var channel = NoticeChannels.Create(nodeId, port);
        var cluster = new ClusterNode(
            new ClusterMembershipOptions
            {
                ConnectString = connectString,
                Root = root,
                NodeId = nodeId,
                NoticeAddress = $"127.0.0.1:{port}",
                SessionTimeout = TimeSpan.FromSeconds(4),
            },
            channel,
            new XmlLimits(),
            NullLoggerFactory.Instance);
        var xmpp = new XmppServer(new XmppServerOptions { Domain = Domain, RegistrationOpen = true }, store, cluster.Routes, NullLoggerFactory.Instance);
        await cluster.StartAsync(xmpp, CancellationToken.None);
        return new Node(nodeId, store, xmpp, cluster);
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public sealed record Node(string Id, IXmppStore Store, XmppServer Xmpp, ClusterNode Cluster) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Cluster.DisposeAsync();
            await Xmpp.DisposeAsync();
            await Store.DisposeAsync();
        }
    }
}
