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
    private readonly TimeSpan? forwardWait;
    private readonly List<Node?> nodes = [];

    private ClusterHarness(string directory, string connectString, TimeSpan? forwardWait)
    {
        this.directory = directory;
        this.connectString = connectString;
        this.forwardWait = forwardWait;
    }

    public Node this[int index] => nodes[index] ?? throw new InvalidOperationException($"Node {index} is stopped.");

    /// <param name="forwardWait">How long a stanza waits for room in a peer's full notice queue; null: the nodes' default.</param>
    public static async Task<ClusterHarness> StartAsync(string connectString, int count, TimeSpan? forwardWait = null)
    {
        var harness = new ClusterHarness(Directory.CreateTempSubdirectory("zkfire-cluster-").FullName, connectString, forwardWait);
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

    /// <summary>Binds a resource that has asked for its roster; with a priority, it is also available with it.</summary>
    public async Task<TestClient> BindInterestedAsync(int node, string user, string resource, int priority = 0)
    {
        var client = await BindAsync(node, user, resource);
        await client.SendAsync("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
        if (priority != 0)
        {
            await client.SendAsync($"<presence><priority>{priority}</priority></presence>");
        }

        return client;
    }

    /// <summary>Binds an available resource that has asked for its roster, routed to from every node.</summary>
    public async Task<TestClient> OnlineAsync(int node, string user, string resource, int priority = 0)
    {
        var client = await BindInterestedAsync(node, user, resource, priority);
        if (priority == 0)
        {
            await client.SendAsync("<presence/>");
        }

        await WaitForRouteAsync(client.Jid, matching: r => r.Available);
        return client;
    }

    public static async Task SubscribeBothWaysAsync(TestClient a, TestClient b)
    {
        await a.SendAsync($"<presence to='{b.Jid.Bare}' type='subscribe'/>");
        await NextAsync(b, e => e.Name == "presence" && e.GetAttribute("type") == "subscribe");
        await b.SendAsync($"<presence to='{a.Jid.Bare}' type='subscribed'/>");
        await b.SendAsync($"<presence to='{a.Jid.Bare}' type='subscribe'/>");
        await NextAsync(a, e => e.Name == "presence" && e.GetAttribute("type") == "subscribe");
        await a.SendAsync($"<presence to='{b.Jid.Bare}' type='subscribed'/>");
        await NextAsync(a, e => e.Name == "presence" && e.GetAttribute("from") == b.Jid.ToString() && e.GetAttribute("type") is null);
        await NextAsync(b, e => e.Name == "presence" && e.GetAttribute("from") == a.Jid.ToString() && e.GetAttribute("type") is null);
    }

    /// <summary>The first stanza the client has received or receives within a few seconds that matches; the others stay queued.</summary>
    public static async Task<Element> NextAsync(TestClient client, Func<Element, bool> match)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        var seen = new List<Element>();
        try
        {
            while (true)
            {
                var taken = client.Take();
                var found = taken.FindIndex(stanza => match(stanza));
                if (found >= 0)
                {
                    // What came after the match, in this batch and since, stays queued in order.
                    seen.AddRange(taken.Take(found));
                    seen.AddRange(taken.Skip(found + 1));
                    seen.AddRange(client.Take());
                    return taken[found];
                }

                seen.AddRange(taken);

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{client.Jid} received nothing that matched; it received: {string.Join(" ", seen.Select(e => e.ToXml()))}");
                }

                await Task.Delay(20);
            }
        }
        finally
        {
            foreach (var stanza in seen)
            {
                client.Send(stanza);
            }
        }
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
        var channel = new CloggableNoticeChannel(NoticeChannels.Create(nodeId, port));
        var options = new ClusterMembershipOptions
        {
            ConnectString = connectString,
            Root = root,
            NodeId = nodeId,
            NoticeAddress = $"127.0.0.1:{port}",
            SessionTimeout = TimeSpan.FromSeconds(4),
        };
        var cluster = new ClusterNode(
            forwardWait is { } wait ? options with { ForwardWait = wait } : options,
            channel,
            new XmlLimits(),
            NullLoggerFactory.Instance);
        var xmpp = new XmppServer(new XmppServerOptions { Domain = Domain, RegistrationOpen = true }, store, cluster.Routes, NullLoggerFactory.Instance);
        await cluster.StartAsync(xmpp, CancellationToken.None);
        return new Node(nodeId, store, xmpp, cluster, channel);
    }

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    public sealed record Node(string Id, IXmppStore Store, XmppServer Xmpp, ClusterNode Cluster, CloggableNoticeChannel Channel) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Cluster.DisposeAsync();
            await Xmpp.DisposeAsync();
            await Store.DisposeAsync();
        }
    }
}
