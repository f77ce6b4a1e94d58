using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using ZkFire.Storage.Sqlite;
using ZkFire.Xmpp;
using ZkFire.Xmpp.Accounts;
using ZkFire.Xmpp.Addressing;
using ZkFire.Xmpp.Routing;
using ZkFire.Xmpp.Sessions;
using ZkFire.Xmpp.Xml;

namespace ZkFire.Benchmarks.Routing;

/// <summary>
/// The router's cost per message between two online users, sink to sink: the address lookups, priority choice
/// and hand-off, without sockets or serialisation.
/// </summary>
[MemoryDiagnoser]
public class StanzaRouterBenchmarks
{
    private const int Users = 10_000;
    private string directory = null!;
    private SqliteXmppStore store = null!;
    private StanzaRouter router = null!;
    private Jid from = null!;
    private Jid toFull = null!;
    private Jid toBare = null!;
    private Element message = null!;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        directory = Directory.CreateTempSubdirectory("zkfire-bench-").FullName;
        store = await SqliteXmppStore.OpenAsync(new SqliteStoreOptions { DatabasePath = Path.Combine(directory, "xmpp.db") }, NullLogger<SqliteXmppStore>.Instance, CancellationToken.None);
        var options = new XmppServerOptions { Domain = "localhost" };
        router = new StanzaRouter(options, new SessionRegistry(), new NoRemoteRoutes(), store, new AccountManager(store.Users, TimeProvider.System), NullLogger<StanzaRouter>.Instance);
        for (var i = 0; i < Users; i++)
        {
            foreach (var resource in new[] { "phone", "laptop" })
            {
                var session = new ClientSession(Jid.Parse($"user{i}@localhost/{resource}"), DiscardingSink.Instance);
                router.Sessions.Bind(session);
                session.SetAvailable(Stanzas.Create(Stanzas.Presence, null, session.Jid, null), 0);
            }
        }

        from = Jid.Parse("user1@localhost/phone");
        toFull = Jid.Parse("user2@localhost/laptop");
        toBare = toFull.Bare;
        message = Stanzas.Create(Stanzas.Message, "chat", from, toFull, "m1")
            .Add(new Element("body", Namespaces.Client).AddText("Hello, how are you doing today?"));
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await store.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Benchmark]
    public ValueTask MessageToFullJid() => router.RouteAsync(message, from, toFull, CancellationToken.None);

    [Benchmark]
    public ValueTask MessageToBareJidTwoResources() => router.RouteAsync(message, from, toBare, CancellationToken.None);

    private sealed class DiscardingSink : IStanzaSink
    {
        public static readonly DiscardingSink Instance = new();

        public void Send(Element stanza)
        {
        }

        public void SendSerialized(string xml)
        {
        }

        public void Close(string condition, string? text)
        {
        }
    }
}
